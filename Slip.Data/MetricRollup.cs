namespace Slip.Data;

/// <summary>
/// A pre-aggregated bucket of one metric's points: at level k, the steps [bucket x 16^k, (bucket + 1) x 16^k). Charts of
/// long series read these instead of every point (min, max and the last value per bucket, as W&amp;B draws them).
/// </summary>
public class MetricRollup
{
    /// <summary>Level k's buckets are 16^k steps wide.</summary>
    public const int Factor = 16;

    /// <summary>The finest level kept (256-step buckets): a range finer than that is bucketed from the points themselves (decision 0026).</summary>
    public const int FirstLevel = 2;

    public const int Levels = 5;

    public long RunId { get; set; }

    public string Name { get; set; } = "";

    public int Level { get; set; }

    public long Bucket { get; set; }

    public long Count { get; set; }

    public double Min { get; set; }

    public double Max { get; set; }

    public double Last { get; set; }

    public long LastStep { get; set; }

    public double LastEpoch { get; set; }

    public DateTime LastTime { get; set; }

    public static long Width(int level) => 1L << (4 * level);   // Factor^level
}
