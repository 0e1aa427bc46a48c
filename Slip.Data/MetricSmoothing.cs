using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>How a series is smoothed: TensorBoard's debiased exponential moving average, or a trailing running mean.</summary>
public sealed record Smoothing(string Kind, double Amount)
{
    public const string Ema = "ema";
    public const string Mean = "mean";

    /// <summary>Parses "ema:0.6" (weight in [0, 1)) or "mean:20" (window of at least 1 point); null for anything else.</summary>
    public static Smoothing? Parse(string? text)
    {
        var parts = text?.Split(':');
        return parts is [var kind, var amount] && double.TryParse(amount, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x)
            && ((kind == Ema && x >= 0 && x < 1) || (kind == Mean && x >= 1 && x <= 100_000))
            ? new Smoothing(kind, x)
            : null;
    }

    /// <summary>The smoothed values, one per input value, in order. Non-finite values pass through and do not disturb the average.</summary>
    public double[] Apply(IReadOnlyList<double> values) => Kind == Ema ? DebiasedEma(values, Amount) : RunningMean(values, (int)Amount);

    /// <summary>TensorBoard's smoothing: last = last * w + (1 - w) * v, divided by the debias factor 1 - w^n.</summary>
    public static double[] DebiasedEma(IReadOnlyList<double> values, double weight)
    {
        var result = new double[values.Count];
        var (last, n) = (0.0, 0);
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (!double.IsFinite(v))
            {
                result[i] = v;
                continue;
            }

            last = (last * weight) + ((1 - weight) * v);
            n++;
            result[i] = weight == 0 ? v : last / (1 - Math.Pow(weight, n));
        }

        return result;
    }

    public static double[] RunningMean(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        var queue = new Queue<double>();
        var sum = 0.0;
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (!double.IsFinite(v))
            {
                result[i] = v;
                continue;
            }

            queue.Enqueue(v);
            sum += v;
            if (queue.Count > window)
            {
                sum -= queue.Dequeue();
            }

            result[i] = sum / queue.Count;
        }

        return result;
    }

    /// <summary>
    /// The smoothed line of a metric over a step range: smoothed on every point in the range (full resolution), then
    /// bucketed as <see cref="MetricSeries.DownsampleAsync"/> does, keeping each bucket's last smoothed value.
    /// </summary>
    public async Task<Series> SeriesAsync(SlipDbContext db, long runId, string name, long? from, long? to, int buckets, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var raw = await db.MetricPoints.AsNoTracking()
            .Where(p => p.RunId == runId && p.Name == name && (from == null || p.Step >= from) && (to == null || p.Step <= to))
            .OrderBy(p => p.Step).ThenBy(p => p.Id)
            .Select(p => new { p.Step, p.Epoch, p.Time, p.Value })
            .ToListAsync(ct);
        if (raw.Count == 0)
        {
            return new Series(name, [], true, 0);
        }

        var smoothed = Apply(raw.Select(p => p.Value).ToList());
        var points = raw.Select((p, i) => new SeriesPoint(p.Step, p.Epoch, p.Time, smoothed[i], smoothed[i], smoothed[i], 1)).ToList();
        var (lo, hi) = (raw[0].Step, raw[^1].Step);
        buckets = Math.Clamp(buckets, 10, 10_000);
        var width = Math.Max(1, (hi - lo + buckets) / buckets);
        return points.Count <= buckets ? new Series(name, points, true, raw.Count) : new Series(name, MetricSeries.Merge(points, lo, width, buckets), false, raw.Count);
    }
}
