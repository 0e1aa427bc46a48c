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

/// <summary>The pixel operations behind <see cref="Augmentations"/>, with torchvision's tensor semantics.</summary>
public static class ImageOps
{
    /// <summary>Crops (top, left, h, w) and resizes to (outH, outW) bilinearly, as F.interpolate(align_corners=False).</summary>
    public static FloatImage ResizedCrop(FloatImage src, int top, int left, int h, int w, int outH, int outW)
    {
        var dst = new FloatImage(outH, outW);
        var (sy, sx) = ((float)h / outH, (float)w / outW);
        for (var y = 0; y < outH; y++)
        {
            var fy = Math.Max(0f, ((y + 0.5f) * sy) - 0.5f);
            var y0 = Math.Min((int)fy, h - 1);
            var y1 = Math.Min(y0 + 1, h - 1);
            var wy = fy - y0;
            for (var x = 0; x < outW; x++)
            {
                var fx = Math.Max(0f, ((x + 0.5f) * sx) - 0.5f);
                var x0 = Math.Min((int)fx, w - 1);
                var x1 = Math.Min(x0 + 1, w - 1);
                var wx = fx - x0;
                for (var c = 0; c < 3; c++)
                {
                    var b = c * src.Plane;
                    float At(int yy, int xx) => src.Pixels[b + ((top + yy) * src.Width) + left + xx];
                    var v = ((1 - wy) * (((1 - wx) * At(y0, x0)) + (wx * At(y0, x1)))) + (wy * (((1 - wx) * At(y1, x0)) + (wx * At(y1, x1))));
                    dst.Pixels[(c * dst.Plane) + (y * outW) + x] = v;
                }
            }
        }

        return dst;
    }

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

    /// <summary>Rotates hue by <paramref name="shift"/> turns through HSV (torchvision adjust_hue on tensors).</summary>
    public static void Hue(FloatImage image, float shift)
    {
        var p = image.Pixels;
        var (g0, b0) = (image.Plane, 2 * image.Plane);
        for (var i = 0; i < image.Plane; i++)
        {
            var (r, g, b) = (p[i], p[g0 + i], p[b0 + i]);
            var max = Math.Max(r, Math.Max(g, b));
            var min = Math.Min(r, Math.Min(g, b));
            var range = max - min;
            if (range == 0)
            {
                continue; // grey: hue is undefined and the pixel is unchanged
            }

            var s = range / max;
            var h = max == r ? (g - b) / range : max == g ? 2 + ((b - r) / range) : 4 + ((r - g) / range);
            h = (h / 6f) + shift;
            h -= MathF.Floor(h);
            var h6 = h * 6f;
            var sector = (int)MathF.Floor(h6) % 6;
            var f = h6 - MathF.Floor(h6);
            var v = max;
            var pp = Math.Clamp(v * (1 - s), 0f, 1f);
            var q = Math.Clamp(v * (1 - (s * f)), 0f, 1f);
            var t = Math.Clamp(v * (1 - (s * (1 - f))), 0f, 1f);
            (p[i], p[g0 + i], p[b0 + i]) = sector switch
            {
                0 => (v, t, pp),
                1 => (q, v, pp),
                2 => (pp, v, t),
                3 => (pp, q, v),
                4 => (t, pp, v),
                _ => (v, pp, q),
            };
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
    public static void GaussianBlur(FloatImage image, float sigma)
    {
        var radius = Math.Max(1, (int)MathF.Ceiling(3 * sigma));
        var (h, w) = (image.Height, image.Width);
        var horizontal = Kernel(sigma, Math.Min(radius, w - 1));
        var vertical = Kernel(sigma, Math.Min(radius, h - 1));
        var line = new float[Math.Max(h, w)];
        for (var c = 0; c < 3; c++)
        {
            var b = c * image.Plane;
            for (var y = 0; y < h; y++)
            {
                Convolve(image.Pixels, b + (y * w), 1, w, horizontal, line);
            }

            for (var x = 0; x < w; x++)
            {
                Convolve(image.Pixels, b + x, w, h, vertical, line);
            }
        }
    }

    private static float[] Kernel(float sigma, int radius)
    {
        var kernel = new float[(2 * radius) + 1];
        for (var k = -radius; k <= radius; k++)
        {
            kernel[k + radius] = MathF.Exp(-(k * k) / (2 * sigma * sigma));
        }

        var sum = kernel.Sum();
        return kernel.Select(v => v / sum).ToArray();
    }

    /// <summary>Convolves the <paramref name="n"/> values at start, start+stride, ... in place with a centred kernel.</summary>
    private static void Convolve(float[] pixels, int start, int stride, int n, float[] kernel, float[] scratch)
    {
        var radius = kernel.Length / 2;
        for (var i = 0; i < n; i++)
        {
            float acc = 0;
            for (var k = -radius; k <= radius; k++)
            {
                acc += kernel[k + radius] * pixels[start + (Reflect(i + k, n) * stride)];
            }

            scratch[i] = acc;
        }

        for (var i = 0; i < n; i++)
        {
            pixels[start + (i * stride)] = scratch[i];
        }
    }

    private static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? (2 * n) - i - 2 : i;

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
