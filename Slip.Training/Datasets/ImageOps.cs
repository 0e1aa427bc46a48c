namespace Slip.Training.Datasets;

/// <summary>
/// A float RGB image in channel-major layout (3 x Height x Width, values in [0, 1] until normalised). Augmentations
/// work on these plain arrays: a 32-pixel view takes microseconds, where the same chain as tensor ops costs
/// milliseconds in per-op overhead.
/// </summary>
public sealed class FloatImage(int height, int width, float[] pixels)
{
    public FloatImage(int height, int width) : this(height, width, new float[3 * height * width])
    {
    }

    public int Height { get; } = height;

    public int Width { get; } = width;

    /// <summary>Channel-major pixels: index (c * Height + y) * Width + x.</summary>
    public float[] Pixels { get; } = pixels;

    public int Plane => Height * Width;

    /// <summary>From interleaved RGBA bytes (H x W x 4, alpha ignored), scaled to [0, 1], in one pass.</summary>
    public static FloatImage FromRgba(ReadOnlySpan<byte> rgba, int height, int width)
    {
        var image = new FloatImage(height, width);
        var plane = height * width;
        var pixels = image.Pixels;
        for (var p = 0; p < plane; p++)
        {
            pixels[p] = rgba[4 * p] / 255f;
            pixels[plane + p] = rgba[(4 * p) + 1] / 255f;
            pixels[(2 * plane) + p] = rgba[(4 * p) + 2] / 255f;
        }

        return image;
    }

    /// <summary>From interleaved RGB bytes (H x W x 3), scaled to [0, 1].</summary>
    public static FloatImage FromRgb(byte[] rgb, int height, int width)
    {
        var image = new FloatImage(height, width);
        var plane = height * width;
        for (var p = 0; p < plane; p++)
        {
            image.Pixels[p] = rgb[3 * p] / 255f;
            image.Pixels[plane + p] = rgb[(3 * p) + 1] / 255f;
            image.Pixels[(2 * plane) + p] = rgb[(3 * p) + 2] / 255f;
        }

        return image;
    }
}

/// <summary>The pixel operations behind <see cref="Augmentations"/>, as torchvision applies them to PIL images (the reference's pipeline).</summary>
public static class ImageOps
{
    /// <summary>Crops (top, left, h, w) and resizes to (outH, outW) bilinearly, as F.interpolate(align_corners=False).</summary>
    /// <summary>Crop then bilinear resize, as Pillow resamples (antialiased when shrinking); see <see cref="PilResample"/>.</summary>
    public static FloatImage ResizedCrop(FloatImage src, int top, int left, int h, int w, int outH, int outW) =>
        PilResample.ResizedCrop(src, top, left, h, w, outH, outW);

    public static void Brightness(FloatImage image, float factor)
    {
        var p = image.Pixels;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = Math.Clamp(p[i] * factor, 0f, 1f);
        }
    }

    /// <summary>Blends with the mean of the grayscale image (torchvision adjust_contrast).</summary>
    public static void Contrast(FloatImage image, float factor)
    {
        var gray = Luma(image);
        var mean = gray.Average();
        var p = image.Pixels;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = Math.Clamp((factor * p[i]) + ((1 - factor) * mean), 0f, 1f);
        }
    }

    /// <summary>Blends with the grayscale image (torchvision adjust_saturation).</summary>
    public static void Saturation(FloatImage image, float factor)
    {
        var gray = Luma(image);
        var p = image.Pixels;
        for (var c = 0; c < 3; c++)
        {
            var b = c * image.Plane;
            for (var i = 0; i < image.Plane; i++)
            {
                p[b + i] = Math.Clamp((factor * p[b + i]) + ((1 - factor) * gray[i]), 0f, 1f);
            }
        }
    }

    /// <summary>
    /// Rotates hue by <paramref name="shift"/> turns as torchvision's adjust_hue does on PIL images: through Pillow's
    /// 8-bit HSV, with the shift truncated to whole steps of 1/255 (numpy's uint8 cast) and wrapping around.
    /// </summary>
    public static void Hue(FloatImage image, float shift)
    {
        var p = image.Pixels;
        var (g0, b0) = (image.Plane, 2 * image.Plane);
        var steps = (int)(shift * 255);                                       // np.uint8(hue_factor * 255), mod 256
        for (var i = 0; i < image.Plane; i++)
        {
            int Byte(float v) => (int)MathF.Round(Math.Clamp(v, 0f, 1f) * 255);
            var (r, g, b) = (Byte(p[i]), Byte(p[g0 + i]), Byte(p[b0 + i]));
            var (h, s, v) = PilHsv.FromRgb(r, g, b);
            (r, g, b) = PilHsv.ToRgb((h + steps + 256) % 256, s, v);
            (p[i], p[g0 + i], p[b0 + i]) = (r / 255f, g / 255f, b / 255f);
        }
    }

    /// <summary>ITU-R 601 luma with torchvision's weights, one plane.</summary>
    public static float[] Luma(FloatImage image)
    {
        var p = image.Pixels;
        var gray = new float[image.Plane];
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (0.2989f * p[i]) + (0.587f * p[image.Plane + i]) + (0.114f * p[(2 * image.Plane) + i]);
        }

        return gray;
    }

    /// <summary>Replaces every channel with the luma (RandomGrayscale keeps 3 channels).</summary>
    public static void Grayscale(FloatImage image)
    {
        var gray = Luma(image);
        for (var c = 0; c < 3; c++)
        {
            Array.Copy(gray, 0, image.Pixels, c * image.Plane, gray.Length);
        }
    }

    /// <summary>Separable Gaussian blur of standard deviation <paramref name="sigma"/>, radius ceil(3 sigma) (at most the image side less one), reflect padding.</summary>
    /// <summary>Pillow's GaussianBlur with radius <paramref name="sigma"/>, as the reference's SSL views use it; see <see cref="PilBlur"/>.</summary>
    public static void GaussianBlur(FloatImage image, float sigma) => PilBlur.GaussianBlur(image, sigma);

    public static void FlipHorizontal(FloatImage image)
    {
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < image.Height; y++)
            {
                Array.Reverse(image.Pixels, (c * image.Plane) + (y * image.Width), image.Width);
            }
        }
    }

    /// <summary>Subtracts the mean and divides by the standard deviation, per channel.</summary>
    public static void Normalize(FloatImage image, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        for (var c = 0; c < 3; c++)
        {
            var b = c * image.Plane;
            for (var i = 0; i < image.Plane; i++)
            {
                image.Pixels[b + i] = (image.Pixels[b + i] - mean[c]) / std[c];
            }
        }
    }
}
