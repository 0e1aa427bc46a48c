using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Evaluations;
using Slip.Web.Hosting;
using Slip.Web.Live;
using Slip.Web.Workers;

namespace Slip.Web.Runs;

/// <summary>
/// The Hangfire job that trains one run, through the <see cref="ChildProcessSupervisor"/>: what is particular to
/// training is here. A claim opens a new attempt; the trainer runs <c>train --resume</c> (continuing from the run's
/// saved state when there is one); a <see cref="RunRecorder"/> stores its metrics and checkpoints (retention applied as
/// they arrive); a run that succeeded queues its evaluateAtEnd tasks, and one interrupted by a worker shutting down is
/// resumed.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    ChildProcessSupervisor supervisor,
    EvaluationLauncher evaluations,
    RunResumer resumer,
    IOptions<SlipOptions> options,
    SlipMetrics metrics,
    ILogger<TrainingJob> logger)
{
    // Fields, not captured parameters: the nested work reads them.
    private readonly IDbContextFactory<SlipDbContext> dbFactory = dbFactory;
    private readonly RunEventHub hub = hub;
    private readonly RunResumer resumer = resumer;
    private readonly IOptions<SlipOptions> options = options;
    private readonly SlipMetrics metrics = metrics;
    private readonly ILogger<TrainingJob> logger = logger;

    [Queue("training")]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long runId, PerformContext? context, CancellationToken cancellationToken) =>
        supervisor.RunAsync(new Training(this, runId), context, cancellationToken);

    /// <summary>One delivery's training of run <paramref name="runId"/>: its rows, its trainer, its recorder and what follows.</summary>
    private sealed class Training(TrainingJob job, long runId) : ISupervisedWork<Run>
    {
        private string checkpointDirectory = "";
        private RunConfig? config;

        public long Id => runId;

        public string Name => $"Run {runId}";

        public string WhileRunning => "this run was training";

        public Task<bool> ClaimAsync(SlipDbContext db, LeaseClaim lease) => TrainingJob.ClaimAsync(db, runId, lease);

        public async Task<ChildCommand> PrepareAsync()
        {
            checkpointDirectory = job.options.Value.CheckpointDirectory(runId);
            var runDirectory = Path.GetDirectoryName(checkpointDirectory)!;
            Directory.CreateDirectory(checkpointDirectory);
            string configJson = "";
            await StoreRetry.RunAsync(async () =>
            {
                await using var db = await job.dbFactory.CreateDbContextAsync();
                configJson = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => r.ConfigJson).SingleAsync();
            }, job.logger, $"run {runId}'s config", CancellationToken.None);
            config = RunConfig.FromJson(configJson);   // for the retention policy applied as checkpoints arrive
            var configPath = Path.Combine(runDirectory, "config.json");
            await File.WriteAllTextAsync(configPath, configJson, CancellationToken.None);
            // Always --resume: a run with saved state (a later attempt) continues from it, a new one starts at step 0.
            return new ChildCommand(["train", "--config", configPath, "--out", checkpointDirectory, "--resume"], checkpointDirectory);
        }

        public EventRecorder StartRecorder(string worker, CancellationToken giveUp) =>
            new RunRecorder(job.dbFactory, job.hub, job.logger, runId, (db, e) => job.RecordCheckpointAsync(db, runId, e, checkpointDirectory, config!), giveUp, leaseOwner: worker, metrics: job.metrics);

        public Task<SupervisedOutcome> CompletedAsync() => Task.FromResult(new SupervisedOutcome(RunStatus.Succeeded, null));

        public Task<int> WriteOutcomeAsync(SlipDbContext db, SupervisedOutcome outcome, string? leaseOwner) =>
            SetFinalAsync(db, runId, outcome.Status, outcome.Error, leaseOwner);

        public void Publish(RunStatus status, string? error) => job.hub.Publish(new RunUpdate(runId, Status: status, Error: error));

        public async Task AfterOutcomeAsync(SupervisedOutcome outcome)
        {
            if (outcome.Status == RunStatus.Succeeded)
            {
                await job.QueueFinalEvaluationAsync(runId);
            }
            else if (outcome.Interrupted)
            {
                // The worker is shutting down: the run continues from its saved state, here after a restart or on any
                // other worker now.
                await job.resumer.ResumeInterruptedAsync(runId, CancellationToken.None);
            }
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
    /// Running, so of two deliveries of the same job only one starts a trainer.
    /// </summary>
    private static async Task<bool> ClaimAsync(SlipDbContext db, long runId, LeaseClaim lease)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        var claimed = await db.Runs
            .Where(r => r.Id == runId && r.Status == RunStatus.Queued && !r.CancelRequested && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < lease.Now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? lease.Now)
                .SetProperty(r => r.Worker, lease.Worker)
                .SetProperty(r => r.Attempt, r => r.Attempt + 1)
                .SetProperty(r => r.LeaseOwner, lease.Worker)
                .SetProperty(r => r.LeaseExpiresAt, lease.ExpiresAt));
        if (claimed != 1)
        {
            return false;
        }

        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Attempt, r.Step }).SingleAsync();
        db.RunAttempts.Add(new RunAttempt { RunId = runId, Number = run.Attempt, FromStep = run.Step, Worker = lease.Worker, StartedAt = lease.Now });
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return true;
    }

    private async Task RecordCheckpointAsync(SlipDbContext db, long runId, TrainerEvent e, string checkpointDirectory, RunConfig config)
    {
        // Only files inside this run's checkpoint folder are recorded, whatever the trainer says.
        var path = e.Path is null ? null : Slip.Training.Datasets.Sources.DataRoots.RealPath(e.Path);
        var folder = Slip.Training.Datasets.Sources.DataRoots.RealPath(checkpointDirectory);
        if (path is null || !path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            logger.LogWarning("Run {RunId}: ignoring checkpoint outside its folder: {Path}", runId, e.Path);
            return;
        }

        string sha;
        try
        {
            sha = await CheckpointRecords.RecordAsync(db, runId, path, (int)Math.Round(e.Epoch), e.Step, config, logger);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted (a user's cleanup, say) before it was hashed: the run trains on without the record.
            logger.LogWarning("Run {RunId}: checkpoint {Path} was deleted before it was recorded; it is not listed.", runId, path);
            return;
        }

        if (!string.Equals(sha, e.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogWarning("Run {RunId}: checkpoint {Path} hash {Actual} differs from the trainer's {Reported}", runId, path, sha, e.Sha256);
        }
    }

    /// <summary>
    /// Ends the run and its open attempt with <paramref name="status"/> and frees its lease, in one transaction: only
    /// while <paramref name="leaseOwner"/> holds the lease (whoever does when null). Returns the runs ended (0 or 1).
    /// </summary>
    internal static async Task<int> SetFinalAsync(SlipDbContext db, long runId, RunStatus status, string? error, string? leaseOwner = null)
    {
        var now = DateTime.UtcNow;
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync() : null;
        var ended = await db.Runs.Where(r => r.Id == runId && (leaseOwner == null || r.LeaseOwner == leaseOwner)).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, status)
            .SetProperty(r => r.Error, error)
            .SetProperty(r => r.FinishedAt, now)
            .SetProperty(r => r.LeaseOwner, (string?)null)
            .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null));
        if (ended == 1)
        {
            await db.RunAttempts.Where(a => a.RunId == runId && a.Status == RunStatus.Running).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, status)
                .SetProperty(a => a.Error, error)
                .SetProperty(a => a.FinishedAt, now));
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync();
        }

        return ended;
    }
}
