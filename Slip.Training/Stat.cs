namespace Slip.Training;

/// <summary>Mean and sample standard deviation of the values present (seeds of one config), and how many there were.</summary>
public sealed record Stat(double? Mean, double? Std, int Count)
{
    public static Stat Of(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        if (present.Count == 0)
        {
            return new Stat(null, null, 0);
        }

        var mean = present.Average();
        double? std = present.Count > 1 ? Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / (present.Count - 1)) : null;
        return new Stat(mean, std, present.Count);
    }

    /// <summary>
    /// Whether the gap to <paramref name="other"/> is larger than the seed noise: more than twice the standard error of
    /// the difference of the two means (sqrt(s1²/n1 + s2²/n2)); null when either side has fewer than two values.
    /// </summary>
    public bool? DiffersBeyondNoise(Stat other)
    {
        if (Mean is not { } a || other.Mean is not { } b || Std is not { } sa || other.Std is not { } sb)
        {
            return null;
        }

        var standardError = Math.Sqrt((sa * sa / Count) + (sb * sb / other.Count));
        return Math.Abs(a - b) > 2 * standardError;
    }

    /// <summary><see cref="DiffersBeyondNoise"/> in words: "beyond noise", "within noise", or null with too few seeds.</summary>
    public string? NoiseVerdict(Stat other) => DiffersBeyondNoise(other) switch { true => "beyond noise", false => "within noise", null => null };

    public override string ToString() => Mean is not { } m ? "–" : Std is { } s ? $"{m:F1} ± {s:F1}" : $"{m:F1}";
}
