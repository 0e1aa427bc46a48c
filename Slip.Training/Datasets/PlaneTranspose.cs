using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Slip.Training.Datasets;

/// <summary>
/// Transposes a float plane (or a rectangle of one), so a filter along rows can run down columns instead: a whole row
/// of columns at a time, with vector operations on contiguous memory. 8 x 8 blocks in AVX registers, the edges one value
/// at a time; the values are moved, never changed.
/// </summary>
public static class PlaneTranspose
{
    /// <summary>
    /// The height x width rectangle of <paramref name="source"/> starting at <paramref name="offset"/>, whose rows are
    /// <paramref name="stride"/> apart, into <paramref name="target"/> as width rows of height values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> source, int offset, int stride, int height, int width, Span<float> target)
    {
        var y = 0;
        if (Avx.IsSupported)
        {
            for (; y + 8 <= height; y += 8)
            {
                var x = 0;
                for (; x + 8 <= width; x += 8)
                {
                    Block(source, offset + (y * stride) + x, stride, target, (x * height) + y, height);
                }

                for (; x < width; x++)
                {
                    for (var yy = y; yy < y + 8; yy++)
                    {
                        target[(x * height) + yy] = source[offset + (yy * stride) + x];
                    }
                }
            }
        }

        for (; y < height; y++)
        {
            var row = source.Slice(offset + (y * stride), width);
            for (var x = 0; x < width; x++)
            {
                target[(x * height) + y] = row[x];
            }
        }
    }

    /// <summary>One 8 x 8 block: rows at <paramref name="from"/> (stride apart) into columns at <paramref name="to"/> (rows <paramref name="toStride"/> apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(ReadOnlySpan<float> source, int from, int stride, Span<float> target, int to, int toStride)
    {
        var r0 = Vector256.Create(source.Slice(from, 8));
        var r1 = Vector256.Create(source.Slice(from + stride, 8));
        var r2 = Vector256.Create(source.Slice(from + (2 * stride), 8));
        var r3 = Vector256.Create(source.Slice(from + (3 * stride), 8));
        var r4 = Vector256.Create(source.Slice(from + (4 * stride), 8));
        var r5 = Vector256.Create(source.Slice(from + (5 * stride), 8));
        var r6 = Vector256.Create(source.Slice(from + (6 * stride), 8));
        var r7 = Vector256.Create(source.Slice(from + (7 * stride), 8));

        // Interleave pairs of rows, then pairs of pairs, then swap the 128-bit halves: the classic 8 x 8 AVX transpose.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).CopyTo(target.Slice(to, 8));
        Avx.Permute2x128(s1, s5, 0x20).CopyTo(target.Slice(to + toStride, 8));
        Avx.Permute2x128(s2, s6, 0x20).CopyTo(target.Slice(to + (2 * toStride), 8));
        Avx.Permute2x128(s3, s7, 0x20).CopyTo(target.Slice(to + (3 * toStride), 8));
        Avx.Permute2x128(s0, s4, 0x31).CopyTo(target.Slice(to + (4 * toStride), 8));
        Avx.Permute2x128(s1, s5, 0x31).CopyTo(target.Slice(to + (5 * toStride), 8));
        Avx.Permute2x128(s2, s6, 0x31).CopyTo(target.Slice(to + (6 * toStride), 8));
        Avx.Permute2x128(s3, s7, 0x31).CopyTo(target.Slice(to + (7 * toStride), 8));
    }
}
