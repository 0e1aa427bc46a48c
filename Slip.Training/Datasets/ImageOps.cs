using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FloatImage FromRgba(ReadOnlySpan<byte> rgba, int height, int width)
    {
        var image = new FloatImage(height, width, GC.AllocateUninitializedArray<float>(3 * height * width));   // every value is written below
        var plane = height * width;
        var pixels = image.Pixels;
        var p = 0;
        if (Vector256.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            // Eight pixels a time: each as one 32-bit word, its bytes masked out and converted (the same x / 255f).
            var (mask, scale) = (Vector256.Create(0xFFu), Vector256.Create(255f));
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(rgba);
            for (; p + 8 <= plane; p += 8)
            {
                var word = Vector256.Create(words.Slice(p, 8));
                (Vector256.ConvertToSingle((word & mask).AsInt32()) / scale).CopyTo(pixels.AsSpan(p));
                (Vector256.ConvertToSingle(((word >> 8) & mask).AsInt32()) / scale).CopyTo(pixels.AsSpan(plane + p));
                (Vector256.ConvertToSingle(((word >> 16) & mask).AsInt32()) / scale).CopyTo(pixels.AsSpan((2 * plane) + p));
            }
        }

        for (; p < plane; p++)
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

/// <summary>
/// The pixel operations behind <see cref="Augmentations"/>, as torchvision applies them to PIL images (the reference's
/// pipeline). The pixel kernels (here and in <see cref="PilResample"/>, <see cref="PilBlur"/>, <see cref="PilHueShift"/>
/// and <see cref="PlaneTranspose"/>) are compiled optimised at their first call (AggressiveOptimization): as quick
/// tier-0 code they call every vector operation instead of inlining it. Only they are, not the whole trainer:
/// see docs/decisions/0021.
/// </summary>
public static class ImageOps
{
    /// <summary>Crops (top, left, h, w) and resizes to (outH, outW) bilinearly, as F.interpolate(align_corners=False).</summary>
    /// <summary>Crop then bilinear resize, as Pillow resamples (antialiased when shrinking); see <see cref="PilResample"/>.</summary>
    public static FloatImage ResizedCrop(FloatImage src, int top, int left, int h, int w, int outH, int outW) =>
        PilResample.ResizedCrop(src, top, left, h, w, outH, outW);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Brightness(FloatImage image, float factor)
    {
        var p = image.Pixels.AsSpan();
        TensorPrimitives.Multiply(p, factor, p);
        ClampToUnit(p);
    }

    /// <summary>Blends with the mean of the grayscale image (torchvision adjust_contrast).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Contrast(FloatImage image, float factor)
    {
        var gray = ArrayPool<float>.Shared.Rent(image.Plane);
        var luma = gray.AsSpan(0, image.Plane);
        Luma(image, luma);
        var mean = (float)(TensorPrimitives.Sum<float>(luma) / luma.Length);
        ArrayPool<float>.Shared.Return(gray);
        var p = image.Pixels.AsSpan();
        TensorPrimitives.Multiply(p, factor, p);
        TensorPrimitives.Add(p, (1 - factor) * mean, p);                   // (factor * p) + ((1 - factor) * mean)
        ClampToUnit(p);
    }

    /// <summary>Blends with the grayscale image (torchvision adjust_saturation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Saturation(FloatImage image, float factor)
    {
        var gray = ArrayPool<float>.Shared.Rent(image.Plane);
        var luma = gray.AsSpan(0, image.Plane);
        Luma(image, luma);
        TensorPrimitives.Multiply(luma, 1 - factor, luma);
        for (var c = 0; c < 3; c++)
        {
            var plane = image.Pixels.AsSpan(c * image.Plane, image.Plane);
            TensorPrimitives.MultiplyAdd(plane, factor, luma, plane);      // (factor * p) + ((1 - factor) * gray)
        }

        ArrayPool<float>.Shared.Return(gray);
        ClampToUnit(image.Pixels);
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
        TensorPrimitives.Multiply(p[..image.Plane], 0.2989f, gray);
        TensorPrimitives.MultiplyAdd(p.Slice(image.Plane, image.Plane), 0.587f, gray, gray);
        TensorPrimitives.MultiplyAdd(p.Slice(2 * image.Plane, image.Plane), 0.114f, gray, gray);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(FloatImage image, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        for (var c = 0; c < 3; c++)
        {
            var plane = image.Pixels.AsSpan(c * image.Plane, image.Plane);
            TensorPrimitives.Subtract(plane, mean[c], plane);
            TensorPrimitives.Divide(plane, std[c], plane);
        }
    }

    /// <summary>Clamps every value to [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ClampToUnit(Span<float> values)
    {
        TensorPrimitives.Max(values, 0f, values);
        TensorPrimitives.Min(values, 1f, values);
    }
}
