using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Slip.Training.Datasets;

/// <summary>
/// Pillow's bilinear resampling (Resample.c), which the reference uses through torchvision on PIL images: a triangle
/// filter whose support widens with the downscale factor, so shrinking averages every source pixel under the output
/// pixel (antialiasing) instead of sampling four. Separable: rows first, then columns, as Pillow does; kept in floats
/// where Pillow rounds each pass to 8 bits.
/// </summary>
public static class PilResample
{
    /// <summary>The box (top, left, h, w) of <paramref name="src"/> resampled to outH x outW.</summary>
    public static FloatImage ResizedCrop(FloatImage src, int top, int left, int h, int w, int outH, int outW)
    {
        var dst = new FloatImage(outH, outW);
        ResizedCrop(src, top, left, h, w, dst);
        return dst;
    }

    /// <summary>
    /// The box (top, left, h, w) of <paramref name="src"/> resampled into <paramref name="dst"/>, whatever it held.
    /// Pillow resamples rows first; in floats the order changes only the last bits, so the pass that shrinks more goes
    /// first when that moves fewer values (a 375 x 375 box to 224 x 224 transposes 134,000 values instead of 224,000).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ResizedCrop(FloatImage src, int top, int left, int h, int w, FloatImage dst)
    {
        var (outH, outW) = (dst.Height, dst.Width);
        var (xIndex, xWeights, xTaps) = FloatCoefficients(w, outW);
        var (yIndex, yWeights, yTaps) = FloatCoefficients(h, outH);
        // A pass along rows runs down the columns of its input transposed, a whole row of them at a time: every sum adds
        // the same products in the same order as a loop along each row would, with vector operations on contiguous memory.
        var rowsFirst = ((long)h * w) + ((long)outW * h * (xTaps + 1)) + ((long)outH * outW * yTaps);
        var columnsFirst = ((long)outH * w * (yTaps + 1)) + ((long)outW * outH * (xTaps + 1));
        var first = ArrayPool<float>.Shared.Rent(Math.Max(w * h, outH * w));
        var second = ArrayPool<float>.Shared.Rent(Math.Max(outW * h, w * outH));
        var third = ArrayPool<float>.Shared.Rent(Math.Max(h * outW, outW * outH));
        for (var c = 0; c < 3; c++)
        {
            var box = (c * src.Plane) + (top * src.Width) + left;
            var plane = dst.Pixels.AsSpan(c * dst.Plane, dst.Plane);
            if (rowsFirst <= columnsFirst)
            {
                PlaneTranspose.Transpose(src.Pixels, box, src.Width, h, w, first);                       // w x h
                Pass(first, 0, h, h, xIndex, xWeights, xTaps, second);                                 // outW x h
                PlaneTranspose.Transpose(second, 0, h, outW, h, third);                                 // h x outW
                Pass(third, 0, outW, outW, yIndex, yWeights, yTaps, plane);                            // outH x outW
            }
            else
            {
                Pass(src.Pixels, box, src.Width, w, yIndex, yWeights, yTaps, first);                  // outH x w
                PlaneTranspose.Transpose(first, 0, w, outH, w, second);                                 // w x outH
                Pass(second, 0, outH, outH, xIndex, xWeights, xTaps, third);                           // outW x outH
                PlaneTranspose.Transpose(third, 0, outH, outW, outH, plane);                            // outH x outW
            }

            ImageOps.ClampToUnit(plane);
        }

        ArrayPool<float>.Shared.Return(first);
        ArrayPool<float>.Shared.Return(second);
        ArrayPool<float>.Shared.Return(third);
    }

    /// <summary>
    /// One resampling pass down the columns of the rows of <paramref name="length"/> values at
    /// <paramref name="offset"/> + r x <paramref name="stride"/>: output row i (of <paramref name="index"/>.Length, into
    /// <paramref name="target"/>) is the weighted sum of its source rows, added in tap order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass(ReadOnlySpan<float> source, int offset, int stride, int length, (int First, int Count)[] index, float[] weights, int taps, Span<float> target)
    {
        for (var i = 0; i < index.Length; i++)
        {
            var (first, count) = index[i];
            var row = target.Slice(i * length, length);
            row.Clear();
            for (var k = 0; k < count; k++)
            {
                TensorPrimitives.MultiplyAdd(source.Slice(offset + ((first + k) * stride), length), weights[(i * taps) + k], row, row);   // row += weight * source row
            }
        }
    }

    /// <summary>
    /// Pillow's resize of an 8-bit image exactly (what the reference's evaluation transform does to a PIL RGB image):
    /// the weights in 22-bit fixed point, each pass rounded and clipped to 8 bits, rows first. The input's values are
    /// read as the 8-bit levels they hold (v x 255).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FloatImage ResizedCropExact(FloatImage src, int top, int left, int h, int w, int outH, int outW)
    {
        const int precision = 32 - 8 - 2;
        var (xIndex, xWeights, xTaps) = FixedPoint(w, outW);
        var (yIndex, yWeights, yTaps) = FixedPoint(h, outH);
        static byte Clip8(long sum) => (byte)Math.Clamp(sum >> precision, 0, 255);
        // The box's 8-bit levels (the decoder's bytes, which it stored divided by 255).
        var levels = new byte[3 * h * w];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < h; y++)
            {
                var row = (c * src.Plane) + ((top + y) * src.Width) + left;
                for (var x = 0; x < w; x++)
                {
                    levels[(((c * h) + y) * w) + x] = (byte)Math.Clamp(MathF.Round(src.Pixels[row + x] * 255f), 0, 255);
                }
            }
        }

        var rows = new byte[3 * h * outW];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < h; y++)
            {
                var source = ((c * h) + y) * w;
                for (var x = 0; x < outW; x++)
                {
                    long sum = 1 << (precision - 1);
                    var (first, count) = xIndex[x];
                    for (var k = 0; k < count; k++)
                    {
                        sum += (long)levels[source + first + k] * xWeights[(x * xTaps) + k];
                    }

                    rows[(((c * h) + y) * outW) + x] = Clip8(sum);
                }
            }
        }

        var dst = new FloatImage(outH, outW);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < outH; y++)
            {
                var (first, count) = yIndex[y];
                for (var x = 0; x < outW; x++)
                {
                    long sum = 1 << (precision - 1);
                    for (var k = 0; k < count; k++)
                    {
                        sum += (long)rows[(((c * h) + first + k) * outW) + x] * yWeights[(y * yTaps) + k];
                    }

                    dst.Pixels[(c * dst.Plane) + (y * outW) + x] = Clip8(sum) / 255f;
                }
            }
        }

        return dst;

        // Pillow's normalize_coeffs_8bpc: each weight times 2^22, rounded half away from zero.
        static ((int First, int Count)[] Index, int[] Weights, int Taps) FixedPoint(int inSize, int outSize)
        {
            var (index, weights, taps) = Coefficients(inSize, outSize);
            return (index, weights.Select(k => (int)(k < 0 ? -0.5 + (k * (1 << precision)) : 0.5 + (k * (1 << precision)))).ToArray(), taps);
        }
    }

    /// <summary>As <see cref="Coefficients"/>, in single precision for the float path.</summary>
    private static ((int First, int Count)[] Index, float[] Weights, int Taps) FloatCoefficients(int inSize, int outSize)
    {
        var (index, weights, taps) = Coefficients(inSize, outSize);
        return (index, weights.Select(k => (float)k).ToArray(), taps);
    }

    /// <summary>Pillow's precompute_coeffs for the bilinear filter: per output pixel, the first source pixel, the tap count and normalised weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ((int First, int Count)[] Index, double[] Weights, int Taps) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = 1.0 * filterScale;                                      // bilinear support is 1
        var taps = (int)Math.Ceiling(support) * 2 + 1;
        var index = new (int, int)[outSize];
        var weights = new double[outSize * taps];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            var k = new double[xmax];
            double total = 0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Math.Max(0, 1 - Math.Abs((x + xmin - center + 0.5) * (1.0 / filterScale)));
                k[x] = w;
                total += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                weights[(xx * taps) + x] = total == 0 ? 0 : k[x] / total;
            }

            index[xx] = (xmin, xmax);
        }

        return (index, weights, taps);
    }
}
