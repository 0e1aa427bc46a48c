namespace Slip.Training.Datasets;

/// <summary>
/// Pillow's 8-bit RGB to HSV conversions (Convert.c, rgb2hsv_row and hsv2rgb_row), byte for byte: float variables
/// where Pillow has them, double arithmetic where its literals are doubles.
/// </summary>
public static class PilHsv
{
    public static (int H, int S, int V) FromRgb(int r, int g, int b)
    {
        var max = Math.Max(r, Math.Max(g, b));
        var min = Math.Min(r, Math.Min(g, b));
        if (max == min)
        {
            return (0, 0, max);
        }

        var cr = (float)(max - min);
        var s = cr / max;
        var (rc, gc, bc) = ((max - r) / cr, (max - g) / cr, (max - b) / cr);
        var h = r == max ? bc - gc : g == max ? 2.0f + rc - bc : 4.0f + gc - rc;
        h = (float)(((h / 6.0) + 1.0) % 1.0);                               // fmod(h / 6.0 + 1.0, 1.0)
        return (Math.Clamp((int)(h * 255.0), 0, 255), Math.Clamp((int)(s * 255.0), 0, 255), max);
    }

    public static (int R, int G, int B) ToRgb(int h, int s, int v)
    {
        if (s == 0)
        {
            return (v, v, v);
        }

        var i = (int)Math.Floor(h * 6.0 / 255.0);
        var f = (float)((h * 6.0 / 255.0) - i);
        var fs = (float)(s / 255.0);
        var p = Math.Clamp((int)Math.Round(v * (1.0 - fs), MidpointRounding.AwayFromZero), 0, 255);
        var q = Math.Clamp((int)Math.Round(v * (1.0 - (fs * f)), MidpointRounding.AwayFromZero), 0, 255);
        var t = Math.Clamp((int)Math.Round(v * (1.0 - (fs * (1.0 - f))), MidpointRounding.AwayFromZero), 0, 255);
        return (i % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }
}
