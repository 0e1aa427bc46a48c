namespace Slip.Training.Datasets;

/// <summary>
/// The reference's per-branch augmentations (slip-reference 3.2) with torchvision's sampling rules, on
/// <see cref="FloatImage"/>s. Randomness comes from a <see cref="Random"/> the caller seeds, so a sample's
/// augmentation depends only on (seed, epoch, index), whatever thread runs it.
/// </summary>
public static class Augmentations
{
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>CLIP branch: RandomResizedCrop(size, scale 0.5-1), normalise. No flip, no colour ops.</summary>
    public static FloatImage ClipView(FloatImage image, int size, Random rng) => Allocated(size, row => ClipView(image, size, rng, row));

    /// <summary>The CLIP view written, normalised, to <paramref name="destination"/> (3 x size x size values: a batch row).</summary>
    public static void ClipView(FloatImage image, int size, Random rng, Span<float> destination)
    {
        var x = FloatImage.Rent(size, size);
        RandomResizedCrop(image, 0.5, 1.0, rng, x);
        ImageOps.Normalize(x, Mean, Std, destination);
        x.Return();
    }

    /// <summary>SSL branch: RandomResizedCrop(0.08-1), ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8, grayscale p 0.2, blur p 0.5, flip, normalise.</summary>
    public static FloatImage SslView(FloatImage image, int size, Random rng) => Allocated(size, row => SslView(image, size, rng, row));

    /// <summary>The SSL view written, normalised, to <paramref name="destination"/> (3 x size x size values: a batch row).</summary>
    public static void SslView(FloatImage image, int size, Random rng, Span<float> destination)
    {
        var x = FloatImage.Rent(size, size);
        RandomResizedCrop(image, 0.08, 1.0, rng, x);
        if (rng.NextDouble() < 0.8)
        {
            ColorJitter(x, 0.4f, 0.4f, 0.4f, 0.1f, rng);
        }

        if (rng.NextDouble() < 0.2)
        {
            ImageOps.Grayscale(x);
        }

        if (rng.NextDouble() < 0.5)
        {
            ImageOps.GaussianBlur(x, (float)(0.1 + (1.9 * rng.NextDouble())));
        }

        if (rng.NextDouble() < 0.5)
        {
            ImageOps.FlipHorizontal(x);
        }

        ImageOps.Normalize(x, Mean, Std, destination);
        x.Return();
    }

    private delegate void RowWriter(Span<float> row);

    /// <summary>A view of its own: what <paramref name="write"/> writes to a batch row, in a fresh size x size image.</summary>
    private static FloatImage Allocated(int size, RowWriter write)
    {
        var view = new FloatImage(size, size);
        write(view.Values);
        return view;
    }

    /// <summary>Evaluation: resize the shorter side to <paramref name="size"/>, centre crop, normalise.</summary>
    public static FloatImage EvalView(FloatImage image, int size)
    {
        var x = EvalCrop(image, size);
        ImageOps.Normalize(x, Mean, Std);
        return x;
    }

    /// <summary>
    /// torchvision's Resize(size) shape: the shorter side becomes <paramref name="size"/> and the longer
    /// <c>int(size * long / short)</c>, multiplied before dividing as Python does (55x110 at 224 is 224x448; scaling
    /// by size / short first gave 447.99... and so 447).
    /// </summary>
    public static (int Height, int Width) ResizedShape(int height, int width, int size)
    {
        var shorter = Math.Min(height, width);
        int Side(int side) => side == shorter ? size : (int)((double)size * side / shorter);
        return (Side(height), Side(width));
    }

    /// <summary>Resize(size) on the shorter side then CenterCrop(size), before normalisation: Pillow's 8-bit resize exactly, as the reference evaluates.</summary>
    public static FloatImage EvalCrop(FloatImage image, int size)
    {
        var (nh, nw) = ResizedShape(image.Height, image.Width, size);
        return CenterCrop(PilResample.ResizedCropExact(image, 0, 0, image.Height, image.Width, nh, nw), size);
    }

    /// <summary>torchvision's center_crop of an image at least <paramref name="size"/> on each side: top = round((h - size) / 2), half to even as Python rounds, left likewise.</summary>
    public static FloatImage CenterCrop(FloatImage image, int size)
    {
        var (top, left) = ((int)Math.Round((image.Height - size) / 2.0), (int)Math.Round((image.Width - size) / 2.0));
        var crop = new FloatImage(size, size);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < size; y++)
            {
                Array.Copy(image.Pixels, (c * image.Plane) + ((top + y) * image.Width) + left, crop.Pixels, (c * crop.Plane) + (y * size), size);
            }
        }

        return crop;
    }

    /// <summary>torchvision's RandomResizedCrop.get_params: 10 tries at area in scale and log-uniform ratio in [3/4, 4/3], then a centre crop.</summary>
    public static (int Top, int Left, int Height, int Width) CropBox(int height, int width, double minScale, double maxScale, Random rng)
    {
        var area = height * width;
        var (logLo, logHi) = (Math.Log(3.0 / 4.0), Math.Log(4.0 / 3.0));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (minScale + ((maxScale - minScale) * rng.NextDouble()));
            var ratio = Math.Exp(logLo + ((logHi - logLo) * rng.NextDouble()));
            var w = (int)Math.Round(Math.Sqrt(target * ratio));
            var h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
            {
                return (rng.Next(0, height - h + 1), rng.Next(0, width - w + 1), h, w);
            }
        }

        var inRatio = (double)width / height;
        var (cw, ch) = inRatio < 3.0 / 4.0 ? (width, (int)Math.Round(width / (3.0 / 4.0)))
            : inRatio > 4.0 / 3.0 ? ((int)Math.Round(height * (4.0 / 3.0)), height)
            : (width, height);
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    public static FloatImage RandomResizedCrop(FloatImage image, int size, double minScale, double maxScale, Random rng)
    {
        var view = new FloatImage(size, size);
        RandomResizedCrop(image, minScale, maxScale, rng, view);
        return view;
    }

    /// <summary>RandomResizedCrop into <paramref name="view"/>, whose size is the output's.</summary>
    public static void RandomResizedCrop(FloatImage image, double minScale, double maxScale, Random rng, FloatImage view)
    {
        var (top, left, h, w) = CropBox(image.Height, image.Width, minScale, maxScale, rng);
        ImageOps.ResizedCrop(image, top, left, h, w, view);
    }

    /// <summary>ColorJitter: brightness, contrast, saturation and hue in a fresh random order, factors U[1-s, 1+s], hue U[-h, h].</summary>
    public static void ColorJitter(FloatImage image, float brightness, float contrast, float saturation, float hue, Random rng)
    {
        var order = new[] { 0, 1, 2, 3 };
        rng.Shuffle(order);
        var b = 1 + (brightness * (float)((2 * rng.NextDouble()) - 1));
        var c = 1 + (contrast * (float)((2 * rng.NextDouble()) - 1));
        var s = 1 + (saturation * (float)((2 * rng.NextDouble()) - 1));
        var h = hue * (float)((2 * rng.NextDouble()) - 1);
        foreach (var op in order)
        {
            switch (op)
            {
                case 0:
                    ImageOps.Brightness(image, b);
                    break;
                case 1:
                    ImageOps.Contrast(image, c);
                    break;
                case 2:
                    ImageOps.Saturation(image, s);
                    break;
                default:
                    ImageOps.Hue(image, h);
                    break;
            }
        }
    }
}
