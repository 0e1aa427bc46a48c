using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Hosting;
using Slip.Web.Live;
using Slip.Web.Workers;

namespace Slip.Web.Runs;

/// <summary>
/// Records what a run's trainer reports (metrics, progress, checkpoints), in order, off the loop that reads the
/// trainer's output (an <see cref="EventRecorder"/>: a store outage is ridden out in memory). Consecutive metric events
/// are written as one batch; a checkpoint is stored on its own after them. Pages hear of points only after they are stored.
/// </summary>
public sealed class RunRecorder : EventRecorder
{
    private readonly IDbContextFactory<SlipDbContext> dbFactory;
    private readonly RunEventHub hub;
    private readonly long runId;
    private readonly Func<SlipDbContext, TrainerEvent, Task> recordCheckpoint;
    private readonly string recorderId = Guid.NewGuid().ToString("N")[..12];
    private long sequence;

    /// <summary><paramref name="recordCheckpoint"/> stores one checkpoint event (retried as a whole if the store fails);
    /// <paramref name="giveUp"/> stops retrying (the host is shutting down): what is still in memory then was never acknowledged.
    /// With <paramref name="leaseOwner"/>, a batch is stored only while that worker holds the run's lease.</summary>
    public RunRecorder(IDbContextFactory<SlipDbContext> dbFactory, RunEventHub hub, ILogger logger, long runId, Func<SlipDbContext, TrainerEvent, Task> recordCheckpoint, CancellationToken giveUp, string? leaseOwner = null, SlipMetrics? metrics = null)
        : base(logger, $"Run {runId}", giveUp, leaseOwner, metrics)
    {
        this.dbFactory = dbFactory;
        this.hub = hub;
        this.runId = runId;
        this.recordCheckpoint = recordCheckpoint;
    }

    protected override bool EndsBatch(TrainerEvent e) => e.Type == TrainerEvent.Checkpoint;

    protected override async Task StoreAsync(IReadOnlyList<TrainerEvent> batch)
    {
        var metrics = batch.Where(e => e.Type != TrainerEvent.Checkpoint).ToList();
        if (metrics.Count > 0)
        {
            var key = $"{recorderId}:{++sequence}";
            var tries = 0;
            await RetryAsync(() => WriteProgressAsync(metrics, key, retry: tries++ > 0), $"run {runId}'s latest {metrics.Count} events");
        }

        if (batch[^1] is { Type: TrainerEvent.Checkpoint } checkpoint)
        {
            await RetryAsync(() => WriteCheckpointAsync(checkpoint), $"run {runId}'s checkpoint");
        }
    }

    /// <summary>
    /// The batch's points, the run's progress and the batch's key, in one transaction: a failed write stored nothing,
    /// and a retry after a commit whose reply was lost (the connection dropped as it answered) finds the key and stops.
    /// </summary>
    private async Task WriteProgressAsync(IReadOnlyList<TrainerEvent> batch, string key, bool retry)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (retry && await db.Runs.Where(r => r.Id == runId).Select(r => r.RecordedBatch).SingleOrDefaultAsync() == key)
        {
            Logger.LogInformation("Run {RunId}: batch {Key} was stored before its reply was lost; not storing it again.", runId, key);
            return;
        }

        var now = DateTime.UtcNow;
        var rows = batch.Where(e => e.Type == TrainerEvent.Metrics)
            .SelectMany(e => (e.Values ?? []).Select(kv => new MetricRow(kv.Key, e.Step, e.Epoch, kv.Value, now))).ToList();
        await MetricIngest.WriteAsync(db, runId, rows);
        var last = batch[^1];
        var progress = last.TotalSteps > 0 ? (double)last.Step / last.TotalSteps : 0;
        // Fencing: the progress is written only while this worker holds the lease, in the transaction with the
        // points, so a worker whose run was taken away (a partition outlasting the heartbeat timeout) stores nothing.
        var updated = await db.Runs.Where(r => r.Id == runId && (LeaseOwner == null || r.LeaseOwner == LeaseOwner)).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Step, last.Step)
            .SetProperty(r => r.TotalSteps, last.TotalSteps)
            .SetProperty(r => r.Progress, progress)
            .SetProperty(r => r.RecordedBatch, key));
        if (updated == 0 && LeaseOwner is not null)
        {
            throw LeaseLost();   // the transaction is rolled back: the points go with it
        }

        await transaction.CommitAsync();
    }

    /// <summary>Records a checkpoint, fenced like the points: only while this worker holds the lease (the no-op update
    /// locks the run's row, so the lease cannot pass to another worker until the record is committed).</summary>
    private async Task WriteCheckpointAsync(TrainerEvent checkpoint)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (LeaseOwner is { } owner
            && await db.Runs.Where(r => r.Id == runId && r.LeaseOwner == owner).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, owner)) == 0)
        {
            throw LeaseLost();
        }

        await recordCheckpoint(db, checkpoint);
        await transaction.CommitAsync();
    }

    protected override void Publish(IReadOnlyList<TrainerEvent> batch)
    {
        var samples = batch.Where(e => e.Type == TrainerEvent.Metrics)
            .SelectMany(e => (e.Values ?? []).Select(kv => new MetricSample(kv.Key, e.Step, e.Epoch, kv.Value))).ToList();
        if (batch.LastOrDefault(e => e.Values?.ContainsKey(MetricNames.ImagesPerSecond) == true) is { } rate)
        {
            Metrics?.Throughput(runId, rate.Values![MetricNames.ImagesPerSecond]);
        }

        if (batch.LastOrDefault(e => e.Type != TrainerEvent.Checkpoint) is { } last)
        {
            hub.Publish(new RunUpdate(runId, Step: last.Step, TotalSteps: last.TotalSteps, Metrics: samples.Count > 0 ? samples : null));
        }

        if (batch[^1].Type == TrainerEvent.Checkpoint)
        {
            hub.Publish(new RunUpdate(runId, CheckpointAdded: true));
        }
    }

    protected override void Completed() => Metrics?.Ended(runId);
}
