using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Hosting;
using Slip.Web.Live;

namespace Slip.Web.Jobs;

/// <summary>
/// The Hangfire job that trains one run: claims its lease (so a second delivery starts nothing) as a new attempt,
/// runs the trainer as a child process (resuming from the run's saved state when there is one), beats the lease while
/// it trains, records its metrics, checkpoints and outcome through a <see cref="RunRecorder"/> (which rides out a
/// store outage), and stops it when the run is cancelled or the lease is lost.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    WorkerRegistry workers,
    ActiveTrainers active,
    EvaluationLauncher evaluations,
    RunResumer resumer,
    IOptions<SlipOptions> options,
    ILogger<TrainingJob> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    [Queue("training")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, PerformContext? context, CancellationToken cancellationToken)
    {
        var worker = context?.ServerId ?? $"{WorkerRegistry.HostName}/cpu";
        var device = workers.DeviceOf(context?.ServerId);
        if (!await ClaimAsync(runId, worker))
        {
            return;
        }

        hub.Publish(new RunUpdate(runId, Status: RunStatus.Running));
        var outcome = await TrainAsync(runId, worker, device, cancellationToken);
        if (outcome.LeaseLost)
        {
            // The run was failed (and perhaps resumed elsewhere) without this worker: its record is not ours to write.
            logger.LogWarning("Run {RunId}: {Error}", runId, outcome.Error);
            return;
        }

        await StoreRetry.RunAsync(() => FinishAsync(runId, outcome), logger, $"run {runId}'s outcome", CancellationToken.None);
        if (outcome.Status == RunStatus.Succeeded)
        {
            await QueueFinalEvaluationAsync(runId);
        }
        else if (outcome.Interrupted)
        {
            // The worker is shutting down: the run continues from its saved state, here after a restart or on any
            // other worker now.
            await resumer.ResumeInterruptedAsync(runId, CancellationToken.None);
        }
    }

    /// <summary>Queues the config's evaluateAtEnd tasks on the last checkpoint; a refusal is recorded on the run, which still succeeded.</summary>
    private async Task QueueFinalEvaluationAsync(long runId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var config = RunConfig.FromJson((await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).ConfigJson);
        var last = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderByDescending(c => c.Epoch).FirstOrDefaultAsync();
        if (config.Eval.TasksAtEndList.Count == 0 || last is null)
        {
            return;
        }

        var launch = await evaluations.QueueAsync(runId, new EvaluationOrder { CheckpointId = last.Id, Tasks = config.Eval.TasksAtEndList });
        if (launch.Errors.Count > 0)
        {
            var reason = "The run succeeded, but its final evaluation was not queued: " + string.Join(" ", launch.Errors.Select(e => e.Message));
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Error, reason));
            hub.Publish(new RunUpdate(runId, Status: RunStatus.Succeeded, Error: reason));
        }
    }

    /// <summary>
    /// Takes the run's lease and opens a new attempt, atomically: only a queued run whose lease is free moves to
    /// Running, so of two deliveries of the same job only one starts a trainer. False if it is not queued (cancelled,
    /// or another delivery has it).
    /// </summary>
    private async Task<bool> ClaimAsync(long runId, string worker)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var lease = now + options.Value.Workers.HeartbeatTimeout;
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            var claimed = await db.Runs
                .Where(r => r.Id == runId && r.Status == RunStatus.Queued && !r.CancelRequested && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, RunStatus.Running)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                    .SetProperty(r => r.Worker, worker)
                    .SetProperty(r => r.Attempt, r => r.Attempt + 1)
                    .SetProperty(r => r.LeaseOwner, worker)
                    .SetProperty(r => r.LeaseExpiresAt, lease));
            if (claimed == 1)
            {
                var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Attempt, r.Step }).SingleAsync();
                db.RunAttempts.Add(new RunAttempt { RunId = runId, Number = run.Attempt, FromStep = run.Step, Worker = worker, StartedAt = now });
                await db.SaveChangesAsync();
                await transaction.CommitAsync();
                return true;
            }
        }

        var current = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId);
        if (current is { Status: RunStatus.Queued, CancelRequested: true })
        {
            await SetFinalAsync(db, runId, RunStatus.Cancelled, null);
            hub.Publish(new RunUpdate(runId, Status: RunStatus.Cancelled));
        }

        logger.LogInformation("Run {RunId} was not started by this delivery: it is {Status}.", runId, current?.Status.ToString() ?? "missing");
        return false;
    }

    private sealed record Outcome(RunStatus Status, string? Error, bool Interrupted = false, bool LeaseLost = false);

    private async Task<Outcome> TrainAsync(long runId, string worker, string device, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var checkpointDirectory = settings.CheckpointDirectory(runId);
        var runDirectory = Path.GetDirectoryName(checkpointDirectory)!;
        Directory.CreateDirectory(checkpointDirectory);
        string configJson;
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            configJson = (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).ConfigJson;
        }

        var config = RunConfig.FromJson(configJson);   // for the retention policy applied as checkpoints arrive
        var configPath = Path.Combine(runDirectory, "config.json");
        await File.WriteAllTextAsync(configPath, configJson, CancellationToken.None);

        TrainerProcess trainer;
        try
        {
            // Always --resume: a run with saved state (a later attempt) continues from it, a new one starts at step 0.
            trainer = TrainerProcess.Start(settings, ["train", "--config", configPath, "--out", checkpointDirectory, "--resume"], checkpointDirectory, device);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new Outcome(RunStatus.Failed, ex.Message);
        }

        await using var _ = trainer;
        using var registration = active.Add(runId, trainer.Id);
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = trainer.StopWhenAsync(() => IsCancelRequestedAsync(runId), TimeSpan.FromSeconds(options.Value.CancelGraceSeconds), stopWatching.Token);
        var lease = new LeaseHeartbeat(dbFactory, runId, worker, settings.Workers, logger);
        var heartbeat = lease.BeatAsync(() => trainer.Kill(), stopWatching.Token);
        var recorder = new RunRecorder(dbFactory, hub, logger, runId, (db, e) => RecordCheckpointAsync(db, runId, e, checkpointDirectory, config), cancellationToken, leaseOwner: worker);

        string? failure = null;
        var completed = false;
        var cancelledByTrainer = false;
        var lastProgress = DateTime.MinValue;
        await foreach (var e in trainer.EventsAsync(CancellationToken.None))
        {
            switch (e.Type)
            {
                case TrainerEvent.Metrics or TrainerEvent.Checkpoint:
                    recorder.Post(e);
                    break;
                case TrainerEvent.Progress or TrainerEvent.Started when DateTime.UtcNow - lastProgress > ProgressInterval:
                    lastProgress = DateTime.UtcNow;
                    recorder.Post(e);
                    break;
                case TrainerEvent.Failed:
                    failure = e.Message;
                    break;
                case TrainerEvent.Cancelled:
                    cancelledByTrainer = true;
                    break;
                case TrainerEvent.Completed:
                    completed = true;
                    recorder.Post(e);
                    break;
            }
        }

        await trainer.WaitForExitAsync(CancellationToken.None);
        await recorder.CompleteAsync();
        await stopWatching.CancelAsync();
        await watcher;
        await heartbeat;

        if (lease.Lost)
        {
            return new Outcome(RunStatus.Failed, $"This worker ({worker}) lost the run's lease (its heartbeats stopped reaching the store, and the run was taken away); its trainer was stopped.", LeaseLost: true);
        }

        if (cancellationToken.IsCancellationRequested && !await IsCancelRequestedAsync(runId))
        {
            return new Outcome(RunStatus.Failed, $"The worker {worker} shut down while this run was training.", Interrupted: true);
        }

        if (cancelledByTrainer || await IsCancelRequestedAsync(runId))
        {
            return new Outcome(RunStatus.Cancelled, null);
        }

        if (completed && trainer.ExitCode == 0)
        {
            return new Outcome(RunStatus.Succeeded, null);
        }

        return failure is not null ? new Outcome(RunStatus.Failed, failure) : new Outcome(RunStatus.Failed, trainer.DescribeExit());
    }

    /// <summary>Whether someone asked to cancel the run; false while the store is unreachable (the next poll asks again).</summary>
    private async Task<bool> IsCancelRequestedAsync(long runId)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            return await db.Runs.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleOrDefaultAsync();
        }
        catch (Exception ex) when (StoreRetry.IsStoreFault(ex))
        {
            return false;
        }
    }

    private async Task RecordCheckpointAsync(SlipDbContext db, long runId, TrainerEvent e, string checkpointDirectory, RunConfig config)
    {
        // Only files inside this run's checkpoint folder are recorded, whatever the trainer says.
        var path = e.Path is null ? null : Slip.Training.Datasets.Sources.DataRoots.RealPath(e.Path);
        var folder = Slip.Training.Datasets.Sources.DataRoots.RealPath(checkpointDirectory);
        if (path is null || !path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            logger.LogWarning("Run {RunId}: ignoring checkpoint outside its folder or missing: {Path}", runId, e.Path);
            return;
        }

        var sha = Checkpoints.Sha256Of(path);
        if (!string.Equals(sha, e.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogWarning("Run {RunId}: checkpoint {Path} hash {Actual} differs from the trainer's {Reported}", runId, path, sha, e.Sha256);
        }

        var epoch = (int)Math.Round(e.Epoch);
        // A resumed attempt that writes an epoch again (its file was rewritten) replaces the record.
        await db.Checkpoints.Where(c => c.RunId == runId && c.Epoch == epoch).ExecuteDeleteAsync();
        db.Checkpoints.Add(new Checkpoint
        {
            RunId = runId,
            Epoch = epoch,
            Step = e.Step,
            FilePath = path,
            Bytes = new FileInfo(path).Length,
            Sha256 = sha,
            CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
        if (await CheckpointRetention.ApplyAsync(db, runId, config, logger) is { Count: > 0 } deleted)
        {
            logger.LogInformation("Run {RunId}: retention deleted the checkpoints of epochs {Epochs}.", runId, string.Join(", ", deleted));
        }
    }

    private async Task FinishAsync(long runId, Outcome outcome)
    {
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await SetFinalAsync(db, runId, outcome.Status, outcome.Error);
        }

        logger.LogInformation("Run {RunId} finished: {Status} {Error}", runId, outcome.Status, outcome.Error);
        hub.Publish(new RunUpdate(runId, Status: outcome.Status, Error: outcome.Error));
    }

    /// <summary>Ends the run and its open attempt with <paramref name="status"/> and frees its lease.</summary>
    internal static async Task<int> SetFinalAsync(SlipDbContext db, long runId, RunStatus status, string? error)
    {
        var now = DateTime.UtcNow;
        await db.RunAttempts.Where(a => a.RunId == runId && a.Status == RunStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, status)
            .SetProperty(a => a.Error, error)
            .SetProperty(a => a.FinishedAt, now));
        return await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, status)
            .SetProperty(r => r.Error, error)
            .SetProperty(r => r.FinishedAt, now)
            .SetProperty(r => r.LeaseOwner, (string?)null)
            .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null));
    }
}
