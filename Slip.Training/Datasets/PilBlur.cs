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

    public static void GaussianBlur(FloatImage image, float sigma)
    {
        var radius = BoxRadius(sigma);
        var (h, w) = (image.Height, image.Width);
        var line = new float[Math.Max(h, w)];
        var output = new float[Math.Max(h, w)];
        for (var c = 0; c < 3; c++)
        {
            var b = c * image.Plane;
            for (var y = 0; y < h; y++)
            {
                BlurLine(image.Pixels, b + (y * w), 1, w, radius, line, output);
            }

            for (var x = 0; x < w; x++)
            {
                BlurLine(image.Pixels, b + x, w, h, radius, line, output);
            }
        }
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

    /// <summary>Three extended-box passes over the n values at start, start+stride, ..., in 8-bit level units.</summary>
    private static void BlurLine(float[] pixels, int start, int stride, int n, double floatRadius, float[] line, float[] output)
    {
        for (var i = 0; i < n; i++)
        {
            line[i] = MathF.Floor((Math.Clamp(pixels[start + (i * stride)], 0f, 1f) * 255f) + 0.5f);
        }

        var r = (int)floatRadius;
        var whole = (float)(1.0 / ((floatRadius * 2) + 1));                   // weight of each pixel inside the box
        var edge = (1 - (((2 * r) + 1) * whole)) / 2;                         // weight of the two pixels just outside it
        var last = n - 1;
        for (var pass = 0; pass < Passes; pass++)
        {
            float acc = 0;
            for (var i = -r; i <= r; i++)
            {
                acc += line[Math.Clamp(i, 0, last)];
            }

            for (var x = 0; x < n; x++)
            {
                // Edges repeat the first and last pixel; inside, the indexes need no clamping.
                var (left, right, leaving) = x - r - 1 >= 0 && x + r + 1 <= last
                    ? (line[x - r - 1], line[x + r + 1], line[x - r])
                    : (line[Math.Max(x - r - 1, 0)], line[Math.Min(x + r + 1, last)], line[Math.Max(x - r, 0)]);
                // Pillow rounds every pass to a whole level: (bulk + (1 << 23)) >> 24.
                output[x] = MathF.Floor((acc * whole) + ((left + right) * edge) + 0.5f);
                acc += right - leaving;
            }

            Array.Copy(output, line, n);
        }

        for (var i = 0; i < n; i++)
        {
            pixels[start + (i * stride)] = line[i] / 255f;
        }
    }
}
