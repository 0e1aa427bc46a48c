using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Slip.Training.Datasets;

/// <summary>
/// Pillow's GaussianBlur (BoxBlur.c), which the reference's SSL views use with radius = sigma: three passes of an
/// "extended" box blur (a box with fractional end weights, Gwosdek et al. 2011) per direction, edges repeated. Its cost
/// does not depend on sigma. Each pass rounds to 8-bit levels as Pillow's does: at small sigma the rounding is most
/// of the effect (a change under half a level is undone), so it is kept.
/// </summary>
public static class PilBlur
{
    private const int Passes = 3;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GaussianBlur(FloatImage image, float sigma)
    {
        var radius = BoxRadius(sigma);
        var (h, w) = (image.Height, image.Width);
        var levels = ArrayPool<float>.Shared.Rent(image.Plane);
        var other = ArrayPool<float>.Shared.Rent(image.Plane);
        var acc = ArrayPool<float>.Shared.Rent(Math.Max(h, w));
        for (var c = 0; c < 3; c++)
        {
            var plane = image.Pixels.AsSpan(c * image.Plane, image.Plane);
            ToLevels(plane, levels);

            // Rows first, as Pillow does: transposed, a row is a column, so both directions run down columns, a whole row
            // of them at a time (contiguous, vectorised; each lane computes exactly what one line's scalar loop did).
            PlaneTranspose.Transpose(levels, 0, w, h, w, other);
            BlurColumns(other, levels, w, h, radius, acc);                    // the result lands back in `other`
            PlaneTranspose.Transpose(other, 0, h, w, h, levels);
            BlurColumns(levels, other, h, w, radius, acc);
            TensorPrimitives.Divide(levels.AsSpan(0, plane.Length), 255f, plane);
        }

        ArrayPool<float>.Shared.Return(levels);
        ArrayPool<float>.Shared.Return(other);
        ArrayPool<float>.Shared.Return(acc);
    }

    /// <summary>_gaussian_blur_radius: the box radius whose three passes have the Gaussian's variance.</summary>
    public static double BoxRadius(double sigma)
    {
        var sigma2 = sigma * sigma / Passes;
        var length = Math.Sqrt((12.0 * sigma2) + 1.0);
        var l = Math.Floor((length - 1.0) / 2.0);
        var a = ((2 * l) + 1) * ((l * (l + 1)) - (3 * sigma2));
        a /= 6 * (sigma2 - ((l + 1) * (l + 1)));
        return l + a;
    }

    /// <summary>
    /// Three extended-box passes down each column of <paramref name="data"/> (height x width, 8-bit level units), all
    /// columns at once; <paramref name="spare"/> (same size) holds each pass's output, and the result ends in
    /// <paramref name="data"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlurColumns(float[] data, float[] spare, int height, int width, double floatRadius, float[] sums)
    {
        var r = (int)floatRadius;
        var whole = (float)(1.0 / ((floatRadius * 2) + 1));                   // weight of each pixel inside the box
        var edge = (1 - (((2 * r) + 1) * whole)) / 2;                         // weight of the two pixels just outside it
        var last = height - 1;
        var (source, target) = (data, spare);
        var acc = sums.AsSpan(0, width);
        for (var pass = 0; pass < Passes; pass++)
        {
            acc.Clear();
            for (var i = -r; i <= r; i++)
            {
                TensorPrimitives.Add(acc, Row(source, Math.Clamp(i, 0, last), width), acc);
            }

            for (var y = 0; y < height; y++)
            {
                // Edges repeat the first and last row.
                var left = Row(source, Math.Max(y - r - 1, 0), width);
                var right = Row(source, Math.Min(y + r + 1, last), width);
                var leaving = Row(source, Math.Max(y - r, 0), width);
                Step(acc, left, right, leaving, target.AsSpan(y * width, width), whole, edge);
            }

            (source, target) = (target, source);
        }

        // Three passes leave the result in the spare buffer: copy it home.
        source.AsSpan(0, height * width).CopyTo(data);
    }

    /// <summary>
    /// One output row: Pillow rounds every pass to a whole level, floor(acc * whole + (left + right) * edge + 0.5); then
    /// the window slides (acc += right - leaving). Vectorised across the row; the same float operations in the same order as one column's scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Step(Span<float> acc, ReadOnlySpan<float> left, ReadOnlySpan<float> right, ReadOnlySpan<float> leaving, Span<float> output, float whole, float edge)
    {
        var x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (w, e, half) = (new Vector<float>(whole), new Vector<float>(edge), new Vector<float>(0.5f));
            for (; x + Vector<float>.Count <= acc.Length; x += Vector<float>.Count)
            {
                var a = new Vector<float>(acc[x..]);
                var l = new Vector<float>(left[x..]);
                var rt = new Vector<float>(right[x..]);
                Vector.Floor((a * w) + ((l + rt) * e) + half).CopyTo(output[x..]);
                (a + (rt - new Vector<float>(leaving[x..]))).CopyTo(acc[x..]);
            }
        }

        for (; x < acc.Length; x++)
        {
            output[x] = MathF.Floor((acc[x] * whole) + ((left[x] + right[x]) * edge) + 0.5f);
            acc[x] += right[x] - leaving[x];
        }
    }

    /// <summary>Values in [0, 1] to whole 8-bit levels, floor(clamp(v) * 255 + 0.5), as Pillow stores them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToLevels(ReadOnlySpan<float> values, Span<float> levels)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (scale, half) = (new Vector<float>(255f), new Vector<float>(0.5f));
            for (; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count)
            {
                var v = Vector.Min(Vector.Max(new Vector<float>(values[i..]), Vector<float>.Zero), Vector<float>.One);
                Vector.Floor((v * scale) + half).CopyTo(levels[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            levels[i] = MathF.Floor((Math.Clamp(values[i], 0f, 1f) * 255f) + 0.5f);
        }
    }

    private static ReadOnlySpan<float> Row(float[] data, int y, int width) => data.AsSpan(y * width, width);
}
