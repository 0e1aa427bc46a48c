using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Slip.Training.Datasets;

/// <summary>
/// The pixel operations behind <see cref="Augmentations"/>, as torchvision applies them to PIL images (the reference's
/// pipeline). The pixel kernels (here and in <see cref="PilResample"/>, <see cref="PilBlur"/>, <see cref="PilHueShift"/>
/// and <see cref="PlaneTranspose"/>) are compiled optimised at their first call (AggressiveOptimization): as quick
/// tier-0 code they call every vector operation instead of inlining it. Only they are, not the whole trainer:
/// see docs/decisions/0021.
/// </summary>
public static class ImageOps
{
    private const float LumaRed = 0.2989f;
    private const float LumaGreen = 0.587f;
    private const float LumaBlue = 0.114f;

    /// <summary>Crop then bilinear resize to outH x outW, as Pillow resamples (antialiased when shrinking); see <see cref="PilResample"/>.</summary>
    public static FloatImage ResizedCrop(FloatImage src, int top, int left, int h, int w, int outH, int outW) =>
        PilResample.ResizedCrop(src, top, left, h, w, outH, outW);

    /// <summary>Crop then bilinear resize into <paramref name="dst"/> (its size is the output's), as Pillow resamples (antialiased when shrinking); see <see cref="PilResample"/>.</summary>
    public static void ResizedCrop(FloatImage src, int top, int left, int h, int w, FloatImage dst) =>
        PilResample.ResizedCrop(src, top, left, h, w, dst);

    /// <summary>Scales by <paramref name="factor"/> (torchvision adjust_brightness), one pass.</summary>
    public static void Brightness(FloatImage image, float factor) => ScaleShiftClamp(image.Values, factor, 0f);

    /// <summary>Blends with the mean of the grayscale image (torchvision adjust_contrast).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Contrast(FloatImage image, float factor)
    {
        var gray = ArrayPool<float>.Shared.Rent(image.Plane);
        var luma = gray.AsSpan(0, image.Plane);
        Luma(image, luma);
        var mean = (float)(TensorPrimitives.Sum<float>(luma) / luma.Length);
        ArrayPool<float>.Shared.Return(gray);
        ScaleShiftClamp(image.Values, factor, (1 - factor) * mean);   // (factor * p) + ((1 - factor) * mean)
    }

    /// <summary>
    /// Blends with the grayscale image (torchvision adjust_saturation): per pixel, the luma (as <see cref="Luma"/>
    /// computes it) times 1 - factor, plus each channel times factor, clamped. One pass over the three planes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Saturation(FloatImage image, float factor)
    {
        var plane = image.Plane;
        var r = image.Pixels.AsSpan(0, plane);
        var g = image.Pixels.AsSpan(plane, plane);
        var b = image.Pixels.AsSpan(2 * plane, plane);
        var rest = 1 - factor;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (f, k, zero, one) = (Vector256.Create(factor), Vector256.Create(rest), Vector256<float>.Zero, Vector256<float>.One);
            var (wr, wg, wb) = (Vector256.Create(LumaRed), Vector256.Create(LumaGreen), Vector256.Create(LumaBlue));
            for (; i + 8 <= plane; i += 8)
            {
                var (vr, vg, vb) = (Vector256.Create<float>(r.Slice(i, 8)), Vector256.Create<float>(g.Slice(i, 8)), Vector256.Create<float>(b.Slice(i, 8)));
                var gray = ((vb * wb) + ((vg * wg) + (vr * wr))) * k;
                Vector256.Min(Vector256.Max((vr * f) + gray, zero), one).CopyTo(r.Slice(i, 8));
                Vector256.Min(Vector256.Max((vg * f) + gray, zero), one).CopyTo(g.Slice(i, 8));
                Vector256.Min(Vector256.Max((vb * f) + gray, zero), one).CopyTo(b.Slice(i, 8));
            }
        }

        for (; i < plane; i++)
        {
            var gray = ((b[i] * LumaBlue) + ((g[i] * LumaGreen) + (r[i] * LumaRed))) * rest;
            (r[i], g[i], b[i]) = (Math.Clamp((r[i] * factor) + gray, 0f, 1f), Math.Clamp((g[i] * factor) + gray, 0f, 1f), Math.Clamp((b[i] * factor) + gray, 0f, 1f));
        }
    }

    /// <summary>
    /// Rotates hue by <paramref name="shift"/> turns as torchvision's adjust_hue does on PIL images: through Pillow's
    /// 8-bit HSV, with the shift truncated to whole steps of 1/255 (numpy's uint8 cast) and wrapping around.
    /// </summary>
    public static void Hue(FloatImage image, float shift) => PilHueShift.Apply(image, (int)(shift * 255));   // np.uint8(hue_factor * 255), mod 256

    /// <summary>ITU-R 601 luma with torchvision's weights, one plane, into <paramref name="gray"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Luma(FloatImage image, Span<float> gray)
    {
        var p = image.Pixels.AsSpan();
        TensorPrimitives.Multiply(p[..image.Plane], LumaRed, gray);
        TensorPrimitives.MultiplyAdd(p.Slice(image.Plane, image.Plane), LumaGreen, gray, gray);
        TensorPrimitives.MultiplyAdd(p.Slice(2 * image.Plane, image.Plane), LumaBlue, gray, gray);
    }

    /// <summary>Replaces every channel with the luma (RandomGrayscale keeps 3 channels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Grayscale(FloatImage image)
    {
        var gray = image.Pixels.AsSpan(0, image.Plane);
        Luma(image, gray);                                                    // each pixel's red is read before it is overwritten
        gray.CopyTo(image.Pixels.AsSpan(image.Plane));
        gray.CopyTo(image.Pixels.AsSpan(2 * image.Plane));
    }

    /// <summary>Separable Gaussian blur of standard deviation <paramref name="sigma"/>, radius ceil(3 sigma) (at most the image side less one), reflect padding.</summary>
    /// <summary>Pillow's GaussianBlur with radius <paramref name="sigma"/>, as the reference's SSL views use it; see <see cref="PilBlur"/>.</summary>
    public static void GaussianBlur(FloatImage image, float sigma) => PilBlur.GaussianBlur(image, sigma);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    public static void Normalize(FloatImage image, ReadOnlySpan<float> mean, ReadOnlySpan<float> std) => Normalize(image, mean, std, image.Values);

    /// <summary>As <see cref="Normalize(FloatImage, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, written to <paramref name="destination"/> (3 x Height x Width values, a batch row) instead of in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(FloatImage image, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination)
    {
        for (var c = 0; c < 3; c++)
        {
            var target = destination.Slice(c * image.Plane, image.Plane);
            TensorPrimitives.Subtract(image.Pixels.AsSpan(c * image.Plane, image.Plane), mean[c], target);
            TensorPrimitives.Divide(target, std[c], target);
        }
    }

    /// <summary>Clamps every value to [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ClampToUnit(Span<float> values)
    {
        TensorPrimitives.Max(values, 0f, values);
        TensorPrimitives.Min(values, 1f, values);
    }

    /// <summary>(value x scale) + offset, clamped to [0, 1], in place and in one pass (multiplied, then added, then clamped, as separate steps would).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleShiftClamp(Span<float> values, float scale, float offset)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (s, o, zero, one) = (Vector256.Create(scale), Vector256.Create(offset), Vector256<float>.Zero, Vector256<float>.One);
            for (; i + 8 <= values.Length; i += 8)
            {
                var v = Vector256.Create<float>(values.Slice(i, 8));
                Vector256.Min(Vector256.Max((v * s) + o, zero), one).CopyTo(values.Slice(i, 8));
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = Math.Clamp((values[i] * scale) + offset, 0f, 1f);
        }
    }
}
