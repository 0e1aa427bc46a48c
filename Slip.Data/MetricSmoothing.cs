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

    /// <summary>A smoother fed one value at a time, in step order.</summary>
    public Smoother Start() => Kind == Ema ? new EmaSmoother(Amount) : new MeanSmoother((int)Amount);

    /// <summary>
    /// The smoothed line of a metric over a step range: smoothed on every point in the range (full resolution), then
    /// bucketed as <see cref="MetricSeries.DownsampleAsync"/> does, keeping each bucket's last smoothed value. The
    /// points are streamed, smoothed and bucketed as they arrive: memory stays at the buckets, whatever the run's length.
    /// </summary>
    public async Task<Series> SeriesAsync(SlipDbContext db, long runId, string name, long? from, long? to, int buckets, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var range = db.MetricPoints.AsNoTracking()
            .Where(p => p.RunId == runId && p.Name == name && (from == null || p.Step >= from) && (to == null || p.Step <= to));
        var lo = await range.OrderBy(p => p.Step).Select(p => (long?)p.Step).FirstOrDefaultAsync(ct);
        if (lo is null)
        {
            return new Series(name, [], true, 0);
        }

        var hi = await range.OrderByDescending(p => p.Step).Select(p => p.Step).FirstAsync(ct);
        buckets = Math.Clamp(buckets, 10, 10_000);
        var merged = new MetricBuckets(lo.Value, Math.Max(1, (hi - lo.Value + buckets) / buckets), buckets);
        List<SeriesPoint>? raw = [];
        var smoother = Start();
        var count = 0L;
        var points = range.OrderBy(p => p.Step).ThenBy(p => p.Id).Select(p => new { p.Step, p.Epoch, p.Time, p.Value }).AsAsyncEnumerable();
        await foreach (var p in points.WithCancellation(ct))
        {
            var value = smoother.Next(p.Value);
            var point = new SeriesPoint(p.Step, p.Epoch, p.Time, value, value, value, 1);
            count++;
            merged.Add(point);
            raw?.Add(point);
            if (raw?.Count > buckets)
            {
                raw = null;                                                   // more points than buckets: the buckets are the answer
            }
        }

        return raw is not null ? new Series(name, raw, true, count) : new Series(name, merged.Points, false, count);
    }
}

/// <summary>One smoothed value per value fed, in order; non-finite values pass through and do not disturb the average.</summary>
public abstract class Smoother
{
    public abstract double Next(double value);
}

/// <summary>TensorBoard's smoothing: last = last * w + (1 - w) * v, divided by the debias factor 1 - w^n.</summary>
internal sealed class EmaSmoother(double weight) : Smoother
{
    private double last;
    private int n;

    public override double Next(double value)
    {
        if (!double.IsFinite(value))
        {
            return value;
        }

        last = (last * weight) + ((1 - weight) * value);
        n++;
        return weight == 0 ? value : last / (1 - Math.Pow(weight, n));
    }
}

/// <summary>A trailing running mean over a window of finite values.</summary>
internal sealed class MeanSmoother(int window) : Smoother
{
    private readonly Queue<double> queue = new();
    private double sum;

    public override double Next(double value)
    {
        if (!double.IsFinite(value))
        {
            return value;
        }

        queue.Enqueue(value);
        sum += value;
        if (queue.Count > window)
        {
            sum -= queue.Dequeue();
        }

        return sum / queue.Count;
    }
}
