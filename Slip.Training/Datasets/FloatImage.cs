using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Slip.Training.Datasets;

/// <summary>
/// A float RGB image in channel-major layout (3 x Height x Width, values in [0, 1] until normalised). Augmentations
/// work on these plain arrays: a 32-pixel view takes microseconds, where the same chain as tensor ops costs
/// milliseconds in per-op overhead. The data loader's images are <see cref="Rent">rented</see> from a pool and given
/// back once used, so the megabytes each sample needs are not fresh (page-faulted, zeroed) memory every time.
/// </summary>
public sealed class FloatImage
{
    private bool rented;

    public FloatImage(int height, int width, float[] pixels)
    {
        if (pixels.Length < 3 * height * width)
        {
            throw new ArgumentException($"{pixels.Length} values cannot hold a 3 x {height} x {width} image.", nameof(pixels));
        }

        (Height, Width, Pixels) = (height, width, pixels);
    }

    public FloatImage(int height, int width) : this(height, width, new float[3 * height * width])
    {
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>
    /// Channel-major pixels: index (c * Height + y) * Width + x. A <see cref="Rent">rented</see> image's array may be
    /// longer than its 3 x Height x Width values: whole-image work goes through <see cref="Values"/>.
    /// </summary>
    public float[] Pixels { get; }

    public int Plane => Height * Width;

    /// <summary>The image's 3 x Height x Width values.</summary>
    public Span<float> Values => Pixels.AsSpan(0, 3 * Plane);

    /// <summary>An image whose pixels come from the shared pool, unset; <see cref="Return"/> gives them back.</summary>
    public static FloatImage Rent(int height, int width) =>
        new(height, width, ArrayPool<float>.Shared.Rent(3 * height * width)) { rented = true };

    /// <summary>Gives a <see cref="Rent">rented</see> image's pixels back to the pool (nothing for any other image); the image is not used after.</summary>
    public void Return()
    {
        if (rented)
        {
            rented = false;
            ArrayPool<float>.Shared.Return(Pixels);
        }
    }

    /// <summary>From interleaved RGBA bytes (H x W x 4, alpha ignored), scaled to [0, 1], in one pass; <paramref name="rent"/> takes the pixels from the pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FloatImage FromRgba(ReadOnlySpan<byte> rgba, int height, int width, bool rent = false)
    {
        var image = rent ? Rent(height, width) : new FloatImage(height, width, GC.AllocateUninitializedArray<float>(3 * height * width));   // every value is written below
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
