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
        var (xIndex, xWeights, xTaps) = Coefficients(w, outW);
        var (yIndex, yWeights, yTaps) = Coefficients(h, outH);
        var rows = new float[3 * h * outW];                                   // horizontal pass over the box's rows
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < h; y++)
            {
                var source = (c * src.Plane) + ((top + y) * src.Width) + left;
                var target = ((c * h) + y) * outW;
                for (var x = 0; x < outW; x++)
                {
                    float acc = 0;
                    var (first, count) = xIndex[x];
                    for (var k = 0; k < count; k++)
                    {
                        acc += xWeights[(x * xTaps) + k] * src.Pixels[source + first + k];
                    }

                    rows[target + x] = acc;
                }
            }
        }

        var dst = new FloatImage(outH, outW);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < outH; y++)
            {
                // Row by row, so the inner loop runs along contiguous memory.
                var (first, count) = yIndex[y];
                var target = dst.Pixels.AsSpan((c * dst.Plane) + (y * outW), outW);
                for (var k = 0; k < count; k++)
                {
                    var weight = yWeights[(y * yTaps) + k];
                    var row = rows.AsSpan((((c * h) + first + k) * outW), outW);
                    for (var x = 0; x < outW; x++)
                    {
                        target[x] += weight * row[x];
                    }
                }

                for (var x = 0; x < outW; x++)
                {
                    target[x] = Math.Clamp(target[x], 0f, 1f);
                }
            }
        }

        return dst;
    }

    /// <summary>Pillow's precompute_coeffs for the bilinear filter: per output pixel, the first source pixel, the tap count and normalised weights.</summary>
    private static ((int First, int Count)[] Index, float[] Weights, int Taps) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = 1.0 * filterScale;                                      // bilinear support is 1
        var taps = (int)Math.Ceiling(support) * 2 + 1;
        var index = new (int, int)[outSize];
        var weights = new float[outSize * taps];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            var k = new double[xmax];
            double total = 0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Math.Max(0, 1 - Math.Abs((x + xmin - center + 0.5) / filterScale));
                k[x] = w;
                total += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                weights[(xx * taps) + x] = (float)(total == 0 ? 0 : k[x] / total);
            }

            index[xx] = (xmin, xmax);
        }

        return (index, weights, taps);
    }
}
