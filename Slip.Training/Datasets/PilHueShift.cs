using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Slip.Training.Datasets;

/// <summary>
/// torchvision's adjust_hue on a PIL image, eight pixels at a time (AVX2): each pixel to 8-bit levels, Pillow's
/// RGB to HSV, the hue moved by whole steps with wrap-around, HSV back to RGB, exactly as <see cref="PilHsv"/> does it
/// one pixel at a time (float where Pillow computes in float, double where its literals are doubles, rounding half
/// away from zero where it calls round). The scalar code is the reference: the vector path is tested against it on
/// every 24-bit colour, and runs it for the pixels that do not fill a vector and on CPUs without AVX2.
/// </summary>
public static class PilHueShift
{
    /// <summary>Shifts the hue of <paramref name="image"/> by <paramref name="steps"/> 1/255 turns (negative allowed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(FloatImage image, int steps)
    {
        var p = image.Pixels;
        var plane = image.Plane;
        var i = 0;
        if (Avx2.IsSupported)
        {
            var shift = Vector256.Create((float)steps);
            for (; i + 8 <= plane; i += 8)
            {
                var r = Levels(Vector256.Create(p, i));
                var g = Levels(Vector256.Create(p, plane + i));
                var b = Levels(Vector256.Create(p, (2 * plane) + i));
                var (h, s, v) = FromRgb(r, g, b);
                var (r2, g2, b2) = ToRgb(Wrap(h + shift), s, v);
                var scale = Vector256.Create(255f);
                (r2 / scale).CopyTo(p, i);
                (g2 / scale).CopyTo(p, plane + i);
                (b2 / scale).CopyTo(p, (2 * plane) + i);
            }
        }

        for (; i < plane; i++)
        {
            ShiftOne(p, i, plane, steps);
        }
    }

    /// <summary>One pixel through the scalar reference.</summary>
    public static void ShiftOne(float[] p, int i, int plane, int steps)
    {
        static int Byte(float v) => (int)MathF.Round(Math.Clamp(v, 0f, 1f) * 255);
        var (g0, b0) = (plane, 2 * plane);
        var (r, g, b) = (Byte(p[i]), Byte(p[g0 + i]), Byte(p[b0 + i]));
        var (h, s, v) = PilHsv.FromRgb(r, g, b);
        (r, g, b) = PilHsv.ToRgb((h + steps + 256) % 256, s, v);
        (p[i], p[g0 + i], p[b0 + i]) = (r / 255f, g / 255f, b / 255f);
    }

    /// <summary>Values in [0, 1] to whole 8-bit levels (clamped, rounded half to even as MathF.Round).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Levels(Vector256<float> x) =>
        Vector256.Round(Vector256.Min(Vector256.Max(x, Vector256<float>.Zero), Vector256<float>.One) * Vector256.Create(255f));

    /// <summary>A hue level moved past either end comes back round (mod 256).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Wrap(Vector256<float> h)
    {
        var size = Vector256.Create(256f);
        h += Vector256.ConditionalSelect(Vector256.LessThan(h, Vector256<float>.Zero), size, Vector256<float>.Zero);
        return h - Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(h, size), size, Vector256<float>.Zero);
    }

    /// <summary>Pillow's rgb2hsv_row on levels held in floats (whole numbers 0-255); see <see cref="PilHsv.FromRgb"/>.</summary>
    private static (Vector256<float> H, Vector256<float> S, Vector256<float> V) FromRgb(Vector256<float> r, Vector256<float> g, Vector256<float> b)
    {
        var max = Vector256.Max(r, Vector256.Max(g, b));
        var min = Vector256.Min(r, Vector256.Min(g, b));
        var grey = Vector256.Equals(max, min);
        var cr = max - min;
        var s = cr / max;
        var (rc, gc, bc) = ((max - r) / cr, (max - g) / cr, (max - b) / cr);
        var h = Vector256.ConditionalSelect(Vector256.Equals(r, max), bc - gc,
            Vector256.ConditionalSelect(Vector256.Equals(g, max), Vector256.Create(2f) + rc - bc, Vector256.Create(4f) + gc - rc));

        // h = (float)fmod(h / 6.0 + 1.0, 1.0), then (int)(h * 255.0) and (int)(s * 255.0), in double as Pillow does.
        var (hLow, hHigh) = Widen(h);
        var hue = Narrow(Turn(hLow), Turn(hHigh));
        var (hueLow, hueHigh) = Widen(hue);
        var (sLow, sHigh) = Widen(s);
        var level = Vector256.Create(255.0);
        var hLevel = Narrow(Vector256.Floor(hueLow * level), Vector256.Floor(hueHigh * level));
        var sLevel = Narrow(Vector256.Floor(sLow * level), Vector256.Floor(sHigh * level));
        var top = Vector256.Create(255f);
        return (
            Vector256.ConditionalSelect(grey, Vector256<float>.Zero, Vector256.Min(Vector256.Max(hLevel, Vector256<float>.Zero), top)),
            Vector256.ConditionalSelect(grey, Vector256<float>.Zero, Vector256.Min(Vector256.Max(sLevel, Vector256<float>.Zero), top)),
            max);

        // fmod(x / 6 + 1, 1) for x in [-1, 5]: the argument lies in (0.8, 1.9), where it is x / 6 + 1 less its whole part (exact).
        static Vector256<double> Turn(Vector256<double> x)
        {
            var t = (x / Vector256.Create(6.0)) + Vector256<double>.One;
            return t - Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(t, Vector256<double>.One), Vector256<double>.One, Vector256<double>.Zero);
        }
    }

    /// <summary>Pillow's hsv2rgb_row on levels held in floats; see <see cref="PilHsv.ToRgb"/>.</summary>
    private static (Vector256<float> R, Vector256<float> G, Vector256<float> B) ToRgb(Vector256<float> h, Vector256<float> s, Vector256<float> v)
    {
        var (hLow, hHigh) = Widen(h);
        var (sLow, sHigh) = Widen(s);
        var (vLow, vHigh) = Widen(v);
        var (iLow, pLow, qLow, tLow) = Parts(hLow, sLow, vLow);
        var (iHigh, pHigh, qHigh, tHigh) = Parts(hHigh, sHigh, vHigh);
        var (i, p, q, t) = (Narrow(iLow, iHigh), Narrow(pLow, pHigh), Narrow(qLow, qHigh), Narrow(tLow, tHigh));

        Vector256<float> Pick(Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3, Vector256<float> c4, Vector256<float> c5)
        {
            var x = c5;
            x = Vector256.ConditionalSelect(Vector256.Equals(i, Vector256.Create(4f)), c4, x);
            x = Vector256.ConditionalSelect(Vector256.Equals(i, Vector256.Create(3f)), c3, x);
            x = Vector256.ConditionalSelect(Vector256.Equals(i, Vector256.Create(2f)), c2, x);
            x = Vector256.ConditionalSelect(Vector256.Equals(i, Vector256<float>.One), c1, x);
            x = Vector256.ConditionalSelect(Vector256.Equals(i, Vector256<float>.Zero), c0, x);
            return Vector256.ConditionalSelect(Vector256.Equals(s, Vector256<float>.Zero), v, x);
        }

        return (Pick(v, q, p, p, t, v), Pick(t, v, v, q, p, p), Pick(p, p, t, v, v, q));

        // i = floor(h * 6 / 255) mod 6, and p, q, t rounded half away from zero and clamped to 0-255.
        static (Vector256<double> I, Vector256<double> P, Vector256<double> Q, Vector256<double> T) Parts(Vector256<double> h, Vector256<double> s, Vector256<double> v)
        {
            var x = h * Vector256.Create(6.0) / Vector256.Create(255.0);
            var i = Vector256.Floor(x);
            var f = ToSingle(x - i);                                             // (float)(h * 6.0 / 255.0 - i)
            var fs = ToSingle(s / Vector256.Create(255.0));                      // (float)(s / 255.0)
            var one = Vector256<double>.One;
            var fsf = ToSingle(fs * f);                                          // fs * f in float
            var p = RoundAway(v * (one - fs));
            var q = RoundAway(v * (one - fsf));
            var t = RoundAway(v * (one - (fs * (one - f))));
            var six = Vector256.Create(6.0);
            i -= Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(i, six), six, Vector256<double>.Zero);
            return (i, Clamp(p), Clamp(q), Clamp(t));
        }
    }

    /// <summary>Math.Round(x, MidpointRounding.AwayFromZero) for x ≥ 0, exactly: the whole part plus one when the (exact) fraction is at least a half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> RoundAway(Vector256<double> x)
    {
        var whole = Vector256.Floor(x);
        return whole + Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x - whole, Vector256.Create(0.5)), Vector256<double>.One, Vector256<double>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Clamp(Vector256<double> x) => Vector256.Min(Vector256.Max(x, Vector256<double>.Zero), Vector256.Create(255.0));

    /// <summary>Rounded to single precision and back, as a C cast to float does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ToSingle(Vector256<double> x) => Avx.ConvertToVector256Double(Avx.ConvertToVector128Single(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<double> Low, Vector256<double> High) Widen(Vector256<float> x) =>
        (Avx.ConvertToVector256Double(x.GetLower()), Avx.ConvertToVector256Double(x.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Narrow(Vector256<double> low, Vector256<double> high) =>
        Vector256.Create(Avx.ConvertToVector128Single(low), Avx.ConvertToVector128Single(high));
}
