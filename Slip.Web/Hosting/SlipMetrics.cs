using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Slip.Data;

namespace Slip.Web.Hosting;

/// <summary>
/// Slip's own metrics (System.Diagnostics.Metrics, meter "Slip"), exported by OpenTelemetry to Prometheus at
/// <c>/metrics</c> (<see cref="MetricsEndpoint"/>): points ingested and how long storing and pushing them took on this
/// host, each training run's images/s on this host, and from the database the runs by status and the queue's length.
/// </summary>
public sealed class SlipMetrics : IDisposable
{
    public const string MeterName = "Slip";

    private readonly Meter meter;
    private readonly Counter<long> pointsIngested;
    private readonly Histogram<double> ingestSeconds;
    private readonly Histogram<double> livePushSeconds;
    private readonly ConcurrentDictionary<long, double> imagesPerSecond = new();
    private readonly IDbContextFactory<SlipDbContext> dbFactory;

    public SlipMetrics(IMeterFactory meters, IDbContextFactory<SlipDbContext> dbFactory)
    {
        this.dbFactory = dbFactory;
        meter = meters.Create(MeterName);
        pointsIngested = meter.CreateCounter<long>("slip_points_ingested", "{point}", "Metric points stored by this host's recorders.");
        ingestSeconds = meter.CreateHistogram<double>("slip_ingest_latency", "s", "How long storing one batch of a trainer's events took (the transaction, retries included).");
        livePushSeconds = meter.CreateHistogram<double>("slip_live_push_latency", "s", "From a trainer's event reaching its worker to the update carrying it being pushed to live pages.");
        meter.CreateObservableGauge("slip_trainer_images_per_second", () => imagesPerSecond.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("run", kv.Key))), null, "Each run training on this host: its trainer's latest images per second.");
        meter.CreateObservableGauge("slip_runs", CountRuns, "{run}", "Runs by status (from the database).");
        meter.CreateObservableGauge("slip_queue_length", CountQueued, "{job}", "Runs and evaluations waiting in the queue (from the database).");
    }

    public void Ingested(int points, TimeSpan took)
    {
        pointsIngested.Add(points);
        ingestSeconds.Record(took.TotalSeconds);
    }

    public void Pushed(TimeSpan sinceArrival) => livePushSeconds.Record(sinceArrival.TotalSeconds);

    public void Throughput(long runId, double images) => imagesPerSecond[runId] = images;

    /// <summary>The run's trainer is gone from this host: its images/s is no longer reported.</summary>
    public void Ended(long runId) => imagesPerSecond.TryRemove(runId, out _);

    private IEnumerable<Measurement<long>> CountRuns()
    {
        var counts = Read(db => db.Runs.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.LongCount() }).ToList().ToDictionary(c => c.Key, c => c.Count));
        return counts is null ? [] : Enum.GetValues<RunStatus>().Select(s => new Measurement<long>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("status", s.ToString().ToLowerInvariant())));
    }

    private IEnumerable<Measurement<long>> CountQueued()
    {
        var queued = Read<long?>(db => db.Runs.LongCount(r => r.Status == RunStatus.Queued) + db.Evaluations.LongCount(e => e.Status == RunStatus.Queued));
        return queued is null ? [] : [new Measurement<long>(queued.Value)];
    }

    /// <summary>A scrape reads the database; while it is unreachable these gauges are left out rather than failing the scrape.</summary>
    private T? Read<T>(Func<SlipDbContext, T> read)
    {
        try
        {
            using var db = dbFactory.CreateDbContext();
            return read(db);
        }
        catch (Exception ex) when (StoreRetry.IsStoreFault(ex))
        {
            return default;
        }
    }

    public void Dispose() => meter.Dispose();
}
