using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>One point of a chart's series: a bucket's last value (drawn as the line) and its min and max (the band).</summary>
public readonly record struct SeriesPoint(long Step, double Epoch, DateTime Time, double Last, double Min, double Max, long Count);

/// <summary>A series as a chart receives it: at most about the requested number of points, and whether they are the raw points.</summary>
public sealed record Series(string Name, IReadOnlyList<SeriesPoint> Points, bool Raw, long TotalCount);

/// <summary>
/// Reads a metric for a chart: W&amp;B-style x-buckets over the requested step range (min, max and the last value in each,
/// never sampling), from the rollups when the range is long and from the points when it is short, so a query costs
/// about the same on a run of a million points as on one of a thousand.
/// </summary>
public static class MetricSeries
{
    public const int DefaultBuckets = 1200;

    public static async Task<Series> DownsampleAsync(SlipDbContext db, long runId, string name, long? from = null, long? to = null, int buckets = DefaultBuckets, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        buckets = Math.Clamp(buckets, 10, 10_000);
        var summary = await db.MetricSummaries.AsNoTracking().SingleOrDefaultAsync(s => s.RunId == runId && s.Name == name, ct);
        if (summary is null)
        {
            return new Series(name, [], true, 0);
        }

        var lo = Math.Max(from ?? summary.FirstStep, summary.FirstStep);
        var hi = Math.Min(to ?? summary.LastStep, summary.LastStep);
        if (hi < lo)
        {
            return new Series(name, [], true, summary.Count);
        }

        var width = Width(lo, hi, buckets);
        var level = Enumerable.Range(MetricRollup.FirstLevel, MetricRollup.Levels - MetricRollup.FirstLevel + 1).LastOrDefault(k => MetricRollup.Width(k) <= width);
        if (summary.Count <= buckets || level == 0)
        {
            // Few points in all, or a short range (under 256 steps per bucket): the points themselves, bucketed if need be.
            return await BucketAsync(db, runId, name, lo, hi, width, buckets, v => v, summary.Count, ct);
        }

        var size = MetricRollup.Width(level);
        var (first, last) = (lo / size, hi / size);
        var rows = await db.MetricRollups.AsNoTracking()
            .Where(r => r.RunId == runId && r.Name == name && r.Level == level && r.Bucket >= first && r.Bucket <= last)
            .OrderBy(r => r.Bucket)
            .Select(r => new SeriesPoint(r.LastStep, r.LastEpoch, r.LastTime, r.Last, r.Min, r.Max, r.Count))
            .ToListAsync(ct);
        return new Series(name, Merge(rows, lo, width, buckets), false, summary.Count);
    }

    /// <summary>The width of <paramref name="buckets"/> buckets covering steps [lo, hi]: ceil((hi - lo + 1) / buckets).</summary>
    public static long Width(long lo, long hi, int buckets) => Math.Max(1, (hi - lo + buckets) / buckets);

    /// <summary>
    /// Raw points of one metric in [<paramref name="lo"/>, <paramref name="hi"/>] as a series, each value mapped (smoothed)
    /// in step order: the points themselves if there are no more than <paramref name="buckets"/>, else merged into
    /// buckets of <paramref name="width"/> from <paramref name="lo"/>. Streamed, so memory stays at the buckets.
    /// </summary>
    internal static async Task<Series> BucketAsync(SlipDbContext db, long runId, string name, long lo, long hi, long width, int buckets, Func<double, double> map, long? total, CancellationToken ct)
    {
        List<SeriesPoint>? raw = [];
        var merged = new MetricBuckets(lo, width, buckets);
        var count = 0L;
        await foreach (var chunk in MetricQueries.ReadChunksAsync(db, runId, name, lo, hi, ct))
        {
            foreach (var p in chunk)
            {
                var value = map(p.Value);
                var point = new SeriesPoint(p.Step, p.Epoch, p.Time, value, value, value, 1);
                count++;
                merged.Add(point);
                raw?.Add(point);
                raw = raw?.Count > buckets ? null : raw;                       // more points than buckets: the buckets are the answer
            }
        }

        return new Series(name, raw ?? merged.Points, raw is not null, total ?? count);
    }

    /// <summary>Folds points or finer buckets (in step order) into buckets of <paramref name="width"/> steps from <paramref name="lo"/>.</summary>
    public static List<SeriesPoint> Merge(IReadOnlyList<SeriesPoint> parts, long lo, long width, int buckets)
    {
        var merged = new MetricBuckets(lo, width, buckets);
        foreach (var p in parts)
        {
            merged.Add(p);
        }

        return merged.Points;
    }
}

/// <summary>
/// Points in step order merged into x-buckets of <c>width</c> steps from <c>lo</c> (at most <c>count</c>): each bucket
/// keeps its latest point's step, epoch, time and last value, the min and max, and how many points it holds.
/// </summary>
public sealed class MetricBuckets(long lo, long width, int count)
{
    private long current = -1;

    public List<SeriesPoint> Points { get; } = [];

    public void Add(SeriesPoint p)
    {
        var index = Math.Clamp((p.Step - lo) / width, 0, count - 1);
        if (index != current)
        {
            Points.Add(p);
            current = index;
            return;
        }

        var b = Points[^1];
        var latest = p.Step >= b.Step ? p : b;
        Points[^1] = new SeriesPoint(latest.Step, latest.Epoch, latest.Time, latest.Last, Math.Min(b.Min, p.Min), Math.Max(b.Max, p.Max), b.Count + p.Count);
    }
}
