namespace Slip.Data;

/// <summary>
/// A metric point logged by an attempt after the step a later attempt resumed from: kept for the attempt's history,
/// but no longer part of the run's series, summaries or rollups (the resumed attempt logs those steps again).
/// </summary>
public class SupersededMetricPoint
{
    public long Id { get; set; }

    public long RunId { get; set; }

    /// <summary>The attempt that logged it.</summary>
    public int Attempt { get; set; }

    public string Name { get; set; } = "";

    public long Step { get; set; }

    public double Epoch { get; set; }

    /// <summary>The value; null for a NaN, on both providers (SQLite stores a NaN as NULL).</summary>
    public double? Value { get; set; }

    public DateTime Time { get; set; }
}
