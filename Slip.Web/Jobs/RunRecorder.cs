using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Live;

namespace Slip.Web.Jobs;

/// <summary>
/// Records what a run's trainer reports (metrics, progress, checkpoints), in order, off the loop that reads the
/// trainer's output: when the store is unreachable (PostgreSQL restarting) the events wait in memory and are written
/// with backoff once it is back, while the trainer keeps training. Consecutive metric events are written as one
/// batch. Pages hear of points only after they are stored.
/// </summary>
public sealed class RunRecorder
{
    private const int MaxBatchEvents = 2_000;
    private readonly Channel<TrainerEvent> events = Channel.CreateUnbounded<TrainerEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly IDbContextFactory<SlipDbContext> dbFactory;
    private readonly RunEventHub hub;
    private readonly ILogger logger;
    private readonly long runId;
    private readonly Func<SlipDbContext, TrainerEvent, Task> recordCheckpoint;
    private readonly CancellationToken giveUp;
    private readonly Task writer;
    private readonly string? leaseOwner;
    private readonly string recorderId = Guid.NewGuid().ToString("N")[..12];
    private long sequence;
    private long pending;

    /// <summary>Starts the writer. <paramref name="recordCheckpoint"/> stores one checkpoint event (retried as a whole if the store fails);
    /// <paramref name="giveUp"/> stops retrying (the host is shutting down): what is still in memory then was never acknowledged.
    /// With <paramref name="leaseOwner"/>, a batch is stored only while that worker holds the run's lease.</summary>
    public RunRecorder(IDbContextFactory<SlipDbContext> dbFactory, RunEventHub hub, ILogger logger, long runId, Func<SlipDbContext, TrainerEvent, Task> recordCheckpoint, CancellationToken giveUp, string? leaseOwner = null)
    {
        this.leaseOwner = leaseOwner;
        this.dbFactory = dbFactory;
        this.hub = hub;
        this.logger = logger;
        this.runId = runId;
        this.recordCheckpoint = recordCheckpoint;
        this.giveUp = giveUp;
        writer = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    /// <summary>True once a batch was refused because another worker (or no one) holds the run's lease: nothing more is stored.</summary>
    public bool Fenced { get; private set; }

    /// <summary>Events accepted but not yet stored.</summary>
    public long Pending => Interlocked.Read(ref pending);

    public void Post(TrainerEvent e)
    {
        Interlocked.Increment(ref pending);
        events.Writer.TryWrite(e);
    }

    /// <summary>Waits until everything posted is stored (or the recorder gave up); rethrows a write that failed for a reason other than the store's.</summary>
    public Task CompleteAsync()
    {
        events.Writer.TryComplete();
        return writer;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<TrainerEvent>();
        while (await events.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatchEvents && events.Reader.TryRead(out var e))
            {
                batch.Add(e);
                if (e.Type == TrainerEvent.Checkpoint)
                {
                    break;   // the metrics before it are stored first, then the checkpoint alone
                }
            }

            if (Fenced)
            {
                Interlocked.Add(ref pending, -batch.Count);
                continue;   // the run is someone else's now: its events are dropped, as the trainer is being stopped
            }

            var metrics = batch.Where(e => e.Type != TrainerEvent.Checkpoint).ToList();
            try
            {
                if (metrics.Count > 0)
                {
                    var key = $"{recorderId}:{++sequence}";
                    var tries = 0;
                    await StoreRetry.RunAsync(() => WriteProgressAsync(metrics, key, retry: tries++ > 0), logger, $"run {runId}'s latest {metrics.Count} events", giveUp);
                }

                if (batch[^1] is { Type: TrainerEvent.Checkpoint } checkpoint)
                {
                    await StoreRetry.RunAsync(() => WriteCheckpointAsync(checkpoint), logger, $"run {runId}'s checkpoint", giveUp);
                }
            }
            catch (LeaseLostException)
            {
                Fenced = true;
                logger.LogWarning("Run {RunId}: the worker {Worker} no longer holds the run's lease; its latest {Count} events and any after them are not stored.", runId, leaseOwner, batch.Count);
                Interlocked.Add(ref pending, -batch.Count);
                continue;
            }
            catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
            {
                logger.LogWarning("Run {RunId}: the host stopped while the store was unreachable; {Count} events were not stored.", runId, Pending);
                return;
            }

            Interlocked.Add(ref pending, -batch.Count);
            Publish(batch);
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
            logger.LogInformation("Run {RunId}: batch {Key} was stored before its reply was lost; not storing it again.", runId, key);
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
        var updated = await db.Runs.Where(r => r.Id == runId && (leaseOwner == null || r.LeaseOwner == leaseOwner)).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Step, last.Step)
            .SetProperty(r => r.TotalSteps, last.TotalSteps)
            .SetProperty(r => r.Progress, progress)
            .SetProperty(r => r.RecordedBatch, key));
        if (updated == 0 && leaseOwner is not null)
        {
            throw new LeaseLostException();   // the transaction is rolled back: the points go with it
        }

        await transaction.CommitAsync();
    }

    private sealed class LeaseLostException : Exception;

    /// <summary>Records a checkpoint, fenced like the points: only while this worker holds the lease (the no-op update
    /// locks the run's row, so the lease cannot pass to another worker until the record is committed).</summary>
    private async Task WriteCheckpointAsync(TrainerEvent checkpoint)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (leaseOwner is not null
            && await db.Runs.Where(r => r.Id == runId && r.LeaseOwner == leaseOwner).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, leaseOwner)) == 0)
        {
            throw new LeaseLostException();
        }

        await recordCheckpoint(db, checkpoint);
        await transaction.CommitAsync();
    }

    private void Publish(IReadOnlyList<TrainerEvent> batch)
    {
        var samples = batch.Where(e => e.Type == TrainerEvent.Metrics)
            .SelectMany(e => (e.Values ?? []).Select(kv => new MetricSample(kv.Key, e.Step, e.Epoch, kv.Value))).ToList();
        if (batch.LastOrDefault(e => e.Type != TrainerEvent.Checkpoint) is { } last)
        {
            hub.Publish(new RunUpdate(runId, Step: last.Step, TotalSteps: last.TotalSteps, Metrics: samples.Count > 0 ? samples : null));
        }

        if (batch[^1].Type == TrainerEvent.Checkpoint)
        {
            hub.Publish(new RunUpdate(runId, CheckpointAdded: true));
        }
    }
}
