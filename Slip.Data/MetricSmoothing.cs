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
        var summary = await db.MetricSummaries.AsNoTracking().SingleOrDefaultAsync(s => s.RunId == runId && s.Name == name, ct);
        var (lo, hi) = (Math.Max(from ?? 0, summary?.FirstStep ?? 0), Math.Min(to ?? long.MaxValue, summary?.LastStep ?? -1));
        if (hi < lo)
        {
            return new Series(name, [], true, 0);
        }

        // The same buckets as the unsmoothed series of the range (MetricSeries.DownsampleAsync).
        buckets = Math.Clamp(buckets, 10, 10_000);
        return await MetricSeries.BucketAsync(db, runId, name, lo, hi, MetricSeries.Width(lo, hi, buckets), buckets, Start().Next, null, ct);
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
