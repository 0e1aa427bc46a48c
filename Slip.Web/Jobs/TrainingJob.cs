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
/// The Hangfire job that trains one run: claims it (so a second delivery starts nothing), runs the trainer as a child
/// process, records its metrics, checkpoints and outcome, and stops it when the run is cancelled.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    WorkerRegistry workers,
    ActiveTrainers active,
    EvaluationLauncher evaluations,
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
        var outcome = await TrainAsync(runId, device, cancellationToken);
        await FinishAsync(runId, outcome);
        if (outcome.Status == RunStatus.Succeeded)
        {
            await QueueFinalEvaluationAsync(runId);
        }
    }

    /// <summary>Queues the config's evaluateAtEnd tasks on the last checkpoint; a refusal is recorded on the run, which still succeeded.</summary>
    private async Task QueueFinalEvaluationAsync(long runId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var config = RunConfig.FromJson((await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId)).ConfigJson);
        var last = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderByDescending(c => c.Epoch).FirstOrDefaultAsync();
        if (config.EvaluateAtEndTasks.Count == 0 || last is null)
        {
            return;
        }

        var launch = await evaluations.QueueAsync(runId, new EvaluationOrder { CheckpointId = last.Id, Tasks = config.EvaluateAtEndTasks });
        if (launch.Errors.Count > 0)
        {
            var reason = "The run succeeded, but its final evaluation was not queued: " + string.Join(" ", launch.Errors.Select(e => e.Message));
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Error, reason));
            hub.Publish(new RunUpdate(runId, Status: RunStatus.Succeeded, Error: reason));
        }
    }

    /// <summary>Moves the run from Queued to Running atomically; false if it is not queued (cancelled, or another delivery has it).</summary>
    private async Task<bool> ClaimAsync(long runId, string worker)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var claimed = await db.Runs
            .Where(r => r.Id == runId && r.Status == RunStatus.Queued && !r.CancelRequested)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.StartedAt, now)
                .SetProperty(r => r.Worker, worker)
                .SetProperty(r => r.LeaseOwner, worker)
                .SetProperty(r => r.LeaseExpiresAt, now.AddMinutes(5)));
        if (claimed == 1)
        {
            return true;
        }

        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId);
        if (run is { Status: RunStatus.Queued, CancelRequested: true })
        {
            await SetFinalAsync(db, runId, RunStatus.Cancelled, null);
            hub.Publish(new RunUpdate(runId, Status: RunStatus.Cancelled));
        }

        logger.LogInformation("Run {RunId} was not started by this delivery: it is {Status}.", runId, run?.Status.ToString() ?? "missing");
        return false;
    }

    private async Task<(RunStatus Status, string? Error)> TrainAsync(long runId, string device, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var runDirectory = Path.Combine(settings.RunsDirectory, runId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var checkpointDirectory = Path.Combine(runDirectory, "checkpoints");
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
            trainer = TrainerProcess.Start(settings, configPath, checkpointDirectory, device);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (RunStatus.Failed, ex.Message);
        }

        await using var _ = trainer;
        using var registration = active.Add(runId, trainer.Id);
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = trainer.StopWhenAsync(() => IsCancelRequestedAsync(runId), TimeSpan.FromSeconds(options.Value.CancelGraceSeconds), stopWatching.Token);

        string? failure = null;
        var completed = false;
        var cancelledByTrainer = false;
        var lastProgress = DateTime.MinValue;
        await foreach (var e in trainer.EventsAsync(CancellationToken.None))
        {
            switch (e.Type)
            {
                case TrainerEvent.Metrics:
                    await RecordMetricsAsync(runId, e);
                    break;
                case TrainerEvent.Progress or TrainerEvent.Started when DateTime.UtcNow - lastProgress > ProgressInterval:
                    lastProgress = DateTime.UtcNow;
                    await RecordProgressAsync(runId, e);
                    break;
                case TrainerEvent.Checkpoint:
                    await RecordCheckpointAsync(runId, e, checkpointDirectory, config);
                    break;
                case TrainerEvent.Failed:
                    failure = e.Message;
                    break;
                case TrainerEvent.Cancelled:
                    cancelledByTrainer = true;
                    break;
                case TrainerEvent.Completed:
                    completed = true;
                    await RecordProgressAsync(runId, e);
                    break;
            }
        }

        await trainer.WaitForExitAsync(CancellationToken.None);
        await stopWatching.CancelAsync();
        await watcher;

        if (cancelledByTrainer || await IsCancelRequestedAsync(runId))
        {
            return (RunStatus.Cancelled, null);
        }

        if (completed && trainer.ExitCode == 0)
        {
            return (RunStatus.Succeeded, null);
        }

        if (failure is not null)
        {
            return (RunStatus.Failed, failure);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return (RunStatus.Failed, "The worker shut down while this run was training.");
        }

        return (RunStatus.Failed, trainer.DescribeExit());
    }

    private async Task<bool> IsCancelRequestedAsync(long runId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.Runs.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleOrDefaultAsync();
    }

    private async Task RecordMetricsAsync(long runId, TrainerEvent e)
    {
        var samples = (e.Values ?? []).Select(kv => new MetricSample(kv.Key, e.Step, e.Epoch, kv.Value)).ToList();
        var now = DateTime.UtcNow;
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, runId, samples.Select(s => new MetricRow(s.Name, s.Step, s.Epoch, s.Value, now)).ToList());
            await UpdateProgressAsync(db, runId, e);
        }

        hub.Publish(new RunUpdate(runId, Step: e.Step, TotalSteps: e.TotalSteps, Metrics: samples));
    }

    private async Task RecordProgressAsync(long runId, TrainerEvent e)
    {
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await UpdateProgressAsync(db, runId, e);
        }

        hub.Publish(new RunUpdate(runId, Step: e.Step, TotalSteps: e.TotalSteps));
    }

    private static Task<int> UpdateProgressAsync(SlipDbContext db, long runId, TrainerEvent e)
    {
        var progress = e.TotalSteps > 0 ? (double)e.Step / e.TotalSteps : 0;
        var lease = DateTime.UtcNow.AddMinutes(5);
        return db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Step, e.Step)
            .SetProperty(r => r.TotalSteps, e.TotalSteps)
            .SetProperty(r => r.Progress, progress)
            .SetProperty(r => r.LeaseExpiresAt, lease));
    }

    private async Task RecordCheckpointAsync(long runId, TrainerEvent e, string checkpointDirectory, RunConfig config)
    {
        // Only files inside this run's checkpoint folder are recorded, whatever the trainer says.
        var path = e.Path is null ? null : Path.GetFullPath(e.Path);
        if (path is null || !path.StartsWith(checkpointDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            logger.LogWarning("Run {RunId}: ignoring checkpoint outside its folder or missing: {Path}", runId, e.Path);
            return;
        }

        var sha = Checkpoints.Sha256Of(path);
        if (!string.Equals(sha, e.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogWarning("Run {RunId}: checkpoint {Path} hash {Actual} differs from the trainer's {Reported}", runId, path, sha, e.Sha256);
        }

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Checkpoints.Add(new Checkpoint
            {
                RunId = runId,
                Epoch = (int)Math.Round(e.Epoch),
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

        hub.Publish(new RunUpdate(runId, CheckpointAdded: true));
    }

    private async Task FinishAsync(long runId, (RunStatus Status, string? Error) outcome)
    {
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await SetFinalAsync(db, runId, outcome.Status, outcome.Error);
        }

        logger.LogInformation("Run {RunId} finished: {Status} {Error}", runId, outcome.Status, outcome.Error);
        hub.Publish(new RunUpdate(runId, Status: outcome.Status, Error: outcome.Error));
    }

    internal static Task<int> SetFinalAsync(SlipDbContext db, long runId, RunStatus status, string? error)
    {
        var now = DateTime.UtcNow;
        return db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, status)
            .SetProperty(r => r.Error, error)
            .SetProperty(r => r.FinishedAt, now)
            .SetProperty(r => r.LeaseOwner, (string?)null)
            .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null));
    }
}
