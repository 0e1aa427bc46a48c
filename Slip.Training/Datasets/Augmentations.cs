using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Slip.Training.Datasets;

/// <summary>
/// The reference's per-branch augmentations on one float image [3, H, W] in [0, 1] (slip-reference 3.2), with
/// torchvision's sampling rules. Randomness comes from a <see cref="Random"/> the caller seeds, so a sample's
/// augmentation depends only on (seed, epoch, index), whatever thread runs it.
/// </summary>
public static class Augmentations
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>CLIP branch: RandomResizedCrop(size, scale 0.5-1), normalise. No flip, no colour ops.</summary>
    public static Tensor ClipView(Tensor image, int size, Random rng) =>
        Normalize(RandomResizedCrop(image, size, 0.5, 1.0, rng));

    /// <summary>SSL branch: RandomResizedCrop(0.08-1), ColorJitter(0.4, 0.4, 0.4, 0.1) p 0.8, grayscale p 0.2, blur p 0.5, flip, normalise.</summary>
    public static Tensor SslView(Tensor image, int size, Random rng)
    {
        var x = RandomResizedCrop(image, size, 0.08, 1.0, rng);
        if (rng.NextDouble() < 0.8)
        {
            x = ColorJitter(x, 0.4, 0.4, 0.4, 0.1, rng);
        }

        if (rng.NextDouble() < 0.2)
        {
            x = Grayscale(x);
        }

        if (rng.NextDouble() < 0.5)
        {
            x = GaussianBlur(x, 0.1 + (1.9 * rng.NextDouble()));
        }

        if (rng.NextDouble() < 0.5)
        {
            x = x.flip(2);
        }

        return Normalize(x);
    }

    /// <summary>Evaluation: resize the shorter side to <paramref name="size"/>, centre crop, normalise.</summary>
    public static Tensor EvalView(Tensor image, int size)
    {
        var (h, w) = ((int)image.shape[1], (int)image.shape[2]);
        var scale = (double)size / Math.Min(h, w);
        var (nh, nw) = (Math.Max(size, (int)Math.Round(h * scale)), Math.Max(size, (int)Math.Round(w * scale)));
        var resized = Resize(image, nh, nw);
        return Normalize(resized.narrow(1, (nh - size) / 2, size).narrow(2, (nw - size) / 2, size));
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

    public static Tensor RandomResizedCrop(Tensor image, int size, double minScale, double maxScale, Random rng)
    {
        var (top, left, h, w) = CropBox((int)image.shape[1], (int)image.shape[2], minScale, maxScale, rng);
        return Resize(image.narrow(1, top, h).narrow(2, left, w), size, size);
    }

    private static Tensor Resize(Tensor image, int height, int width) =>
        F.interpolate(image.unsqueeze(0), [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0).clamp(0, 1);

    /// <summary>ColorJitter: brightness, contrast, saturation and hue in a fresh random order, factors U[1-s, 1+s], hue U[-h, h].</summary>
    public static Tensor ColorJitter(Tensor image, double brightness, double contrast, double saturation, double hue, Random rng)
    {
        var order = new[] { 0, 1, 2, 3 }.OrderBy(_ => rng.Next()).ToArray();
        var b = 1 + (brightness * ((2 * rng.NextDouble()) - 1));
        var c = 1 + (contrast * ((2 * rng.NextDouble()) - 1));
        var s = 1 + (saturation * ((2 * rng.NextDouble()) - 1));
        var hf = hue * ((2 * rng.NextDouble()) - 1);
        var x = image;
        foreach (var op in order)
        {
            x = op switch
            {
                0 => (x * b).clamp(0, 1),
                1 => Blend(x, Grayscale(x).mean(), c),
                2 => Blend(x, Grayscale(x), s),
                _ => AdjustHue(x, hf),
            };
        }

        return x;
    }

    /// <summary>ITU-R 601 luma (torchvision's weights), kept as 3 channels.</summary>
    public static Tensor Grayscale(Tensor image)
    {
        var luma = (image[0] * 0.2989) + (image[1] * 0.587) + (image[2] * 0.114); // [H, W]
        return luma.unsqueeze(0).expand(3, -1, -1).contiguous();                 // [3, H, W]
    }

    private static Tensor Blend(Tensor image, Tensor other, double factor) => ((image * factor) + (other * (1 - factor))).clamp(0, 1);

    /// <summary>Hue rotation through HSV, as torchvision's tensor adjust_hue.</summary>
    public static Tensor AdjustHue(Tensor image, double hueFactor)
    {
        var (r, g, b) = (image[0], image[1], image[2]);
        var maxc = image.amax([0]);
        var minc = image.amin([0]);
        var eqc = maxc.eq(minc);
        var cr = maxc - minc;
        var one = ones_like(maxc);
        var s = cr / where(eqc, one, maxc);
        var crDiv = where(eqc, one, cr);
        var rc = (maxc - r) / crDiv;
        var gc = (maxc - g) / crDiv;
        var bc = (maxc - b) / crDiv;
        var isR = maxc.eq(r);
        var isG = maxc.eq(g).logical_and(isR.logical_not());
        var isB = isG.logical_not().logical_and(isR.logical_not());
        var h = (isR.to(image.dtype) * (bc - gc)) + (isG.to(image.dtype) * (rc - bc + 2)) + (isB.to(image.dtype) * (gc - rc + 4));
        h = remainder((h / 6.0) + 1.0, 1.0);
        h = remainder(h + hueFactor, 1.0);
        var v = maxc;
        var i6 = floor(h * 6.0);
        var f = (h * 6.0) - i6;
        var i = remainder(i6, 6.0);
        var p = (v * (1 - s)).clamp(0, 1);
        var q = (v * (1 - (s * f))).clamp(0, 1);
        var t = (v * (1 - (s * (1 - f)))).clamp(0, 1);
        Tensor Pick(Tensor a0, Tensor a1, Tensor a2, Tensor a3, Tensor a4, Tensor a5) =>
            where(i.eq(0), a0, where(i.eq(1), a1, where(i.eq(2), a2, where(i.eq(3), a3, where(i.eq(4), a4, a5)))));
        return stack([Pick(v, q, p, p, t, v), Pick(t, v, v, q, p, p), Pick(p, p, t, v, v, q)]); // [3, H, W]
    }

    /// <summary>Gaussian blur with standard deviation <paramref name="sigma"/> pixels, separable, reflect-padded.</summary>
    public static Tensor GaussianBlur(Tensor image, double sigma)
    {
        var maxRadius = (int)Math.Min(image.shape[1], image.shape[2]) - 1;
        var radius = Math.Max(1, Math.Min((int)Math.Ceiling(3 * sigma), maxRadius));
        var weights = Enumerable.Range(-radius, (2 * radius) + 1).Select(k => (float)Math.Exp(-(k * k) / (2 * sigma * sigma))).ToArray();
        var sum = weights.Sum();
        var kernel = tensor(weights.Select(w => w / sum).ToArray(), dtype: image.dtype);    // [K]
        var x = F.pad(image.unsqueeze(0), [radius, radius, radius, radius], TorchSharp.PaddingModes.Reflect); // [1, 3, H+2r, W+2r]
        var horizontal = kernel.view(1, 1, 1, -1).expand(3, 1, 1, -1);
        var vertical = kernel.view(1, 1, -1, 1).expand(3, 1, -1, 1);
        x = F.conv2d(x, horizontal, groups: 3);                                // [1, 3, H+2r, W]
        x = F.conv2d(x, vertical, groups: 3);                                  // [1, 3, H, W]
        return x.squeeze(0);
    }

    public static Tensor Normalize(Tensor image)
    {
        var mean = tensor(Mean, dtype: image.dtype).view(3, 1, 1);
        var std = tensor(Std, dtype: image.dtype).view(3, 1, 1);
        return (image - mean) / std;
    }
}
