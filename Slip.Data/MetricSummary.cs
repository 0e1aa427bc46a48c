namespace Slip.Data;

/// <summary>
/// One metric of one run at a glance, kept up to date as points are ingested, so tables and comparisons never scan
/// points: how many, the first and last steps, the last value and the lowest and highest with their steps.
/// Non-finite values (a diverged loss) are counted but do not move the minimum or maximum.
/// </summary>
public class MetricSummary
{
    public long RunId { get; set; }

    public string Name { get; set; } = "";

    public long Count { get; set; }

    public long FirstStep { get; set; }

    public long LastStep { get; set; }

    public double Last { get; set; }

    public DateTime LastTime { get; set; }

    public double Min { get; set; }

    public long MinStep { get; set; }

    public double Max { get; set; }

    public long MaxStep { get; set; }

    /// <summary>The best value: the minimum for losses (names containing "loss"), else the maximum.</summary>
    public double Best => LowerIsBetter(Name) ? Min : Max;

    public long BestStep => LowerIsBetter(Name) ? MinStep : MaxStep;

    public static bool LowerIsBetter(string metric) => metric.Contains("loss", StringComparison.OrdinalIgnoreCase);
}
