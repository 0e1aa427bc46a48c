using System.Globalization;
using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Web.Hosting;
using Slip.Web.Live;
using Slip.Web.Runs;
using Slip.Web.Workers;

namespace Slip.Web.Evaluations;

/// <summary>
/// The Hangfire job that runs one evaluation, through the <see cref="ChildProcessSupervisor"/> (a lease, a heartbeat,
/// store retry, cancel) as training does: what is particular to evaluation is here. Before the evaluator starts, the
/// checkpoint must still be the file that was recorded (sha256); the CLI's <c>eval --request --events</c> runs on the
/// worker's device, an <see cref="EvaluationRecorder"/> stores its progress, and its results file is stored with the
/// outcome. Evaluations are not resumed: one that is interrupted fails with the reason.
/// </summary>
public sealed class EvaluationJob(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    ChildProcessSupervisor supervisor,
    CheckpointIntegrity integrity,
    IOptions<SlipOptions> options,
    ILogger<EvaluationJob> logger)
{
    // Fields, not captured parameters: the nested work reads them.
    private readonly IDbContextFactory<SlipDbContext> dbFactory = dbFactory;
    private readonly RunEventHub hub = hub;
    private readonly CheckpointIntegrity integrity = integrity;
    private readonly IOptions<SlipOptions> options = options;
    private readonly ILogger<EvaluationJob> logger = logger;

    [Queue("training")]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long evaluationId, PerformContext? context, CancellationToken cancellationToken) =>
        supervisor.RunAsync(new Evaluating(this, evaluationId), context, cancellationToken);

    /// <summary>One delivery's run of evaluation <paramref name="evaluationId"/>.</summary>
    private sealed class Evaluating(EvaluationJob job, long evaluationId) : ISupervisedWork<Evaluation>
    {
        private Evaluation? evaluation;
        private string resultsPath = "";
        private string? results;

        public long Id => evaluationId;

        public string Name => $"Evaluation {evaluationId}";

        public string WhileRunning => "this evaluation was running";

        private long RunId => evaluation?.RunId ?? 0;

        /// <summary>Reads the evaluation (what it asks never changes), then takes it with its lease, atomically.</summary>
        public async Task<bool> ClaimAsync(SlipDbContext db, LeaseClaim lease)
        {
            evaluation = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == evaluationId);
            if (evaluation is null)
            {
                return false;
            }

            return await db.Evaluations
                .Where(e => e.Id == evaluationId && e.Status == RunStatus.Queued && !e.CancelRequested && (e.LeaseExpiresAt == null || e.LeaseExpiresAt < lease.Now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(e => e.Status, RunStatus.Running)
                    .SetProperty(e => e.StartedAt, lease.Now)
                    .SetProperty(e => e.Worker, lease.Worker)
                    .SetProperty(e => e.LeaseOwner, lease.Worker)
                    .SetProperty(e => e.LeaseExpiresAt, lease.ExpiresAt)) == 1;
        }

        public async Task<ChildCommand> PrepareAsync()
        {
            // The file must still be the one recorded (length and sha256) before its weights are trusted.
            Checkpoint? checkpoint = null;
            await StoreRetry.RunAsync(async () =>
            {
                await using var db = await job.dbFactory.CreateDbContextAsync();
                checkpoint = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.Id == evaluation!.CheckpointId);
            }, job.logger, $"evaluation {evaluationId}'s checkpoint", CancellationToken.None);
            var problem = checkpoint is null
                ? $"Checkpoint {evaluation!.CheckpointId} of run {RunId} no longer exists."
                : await job.integrity.ProblemAsync(checkpoint, CancellationToken.None);
            if (problem is not null)
            {
                return ChildCommand.Refused(problem + " It was not evaluated.");
            }

            var directory = Path.Combine(job.options.Value.RunsDirectory, RunId.ToString(CultureInfo.InvariantCulture), "evaluations", evaluationId.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(directory);
            var requestPath = Path.Combine(directory, "request.json");
            resultsPath = Path.Combine(directory, "results.json");
            await File.WriteAllTextAsync(requestPath, evaluation!.RequestJson, CancellationToken.None);
            return new ChildCommand(["eval", "--request", requestPath, "--events", "--out", resultsPath], directory);
        }

        public EventRecorder StartRecorder(string worker, CancellationToken giveUp) =>
            new EvaluationRecorder(job.dbFactory, job.hub, job.logger, evaluationId, RunId, giveUp, leaseOwner: worker);

        public async Task<SupervisedOutcome> CompletedAsync()
        {
            if (!File.Exists(resultsPath))
            {
                return new SupervisedOutcome(RunStatus.Failed, $"The evaluator finished without writing its results ({resultsPath}).");
            }

            results = await File.ReadAllTextAsync(resultsPath, CancellationToken.None);
            return new SupervisedOutcome(RunStatus.Succeeded, null);
        }

        public Task<int> WriteOutcomeAsync(SlipDbContext db, SupervisedOutcome outcome, string? leaseOwner) =>
            SetFinalAsync(db, evaluationId, outcome.Status, outcome.Error, results, leaseOwner);

        public void Publish(RunStatus status, string? error) => job.hub.Publish(new RunUpdate(RunId, EvaluationChanged: true));

        /// <summary>Nothing: an evaluation that was interrupted stays failed (it keeps no state to resume from; queue it again).</summary>
        public Task AfterOutcomeAsync(SupervisedOutcome outcome) => Task.CompletedTask;
    }

    /// <summary>
    /// Ends the evaluation with <paramref name="status"/> (and its results when it succeeded) and frees its lease: only
    /// while <paramref name="leaseOwner"/> holds it (whoever does when null). Returns the evaluations ended (0 or 1).
    /// </summary>
    internal static Task<int> SetFinalAsync(SlipDbContext db, long evaluationId, RunStatus status, string? error, string? results = null, string? leaseOwner = null)
    {
        var now = DateTime.UtcNow;
        var done = status == RunStatus.Succeeded;
        return db.Evaluations.Where(e => e.Id == evaluationId && (leaseOwner == null || e.LeaseOwner == leaseOwner)).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.Status, status)
            .SetProperty(e => e.Error, error)
            .SetProperty(e => e.ResultsJson, results)
            .SetProperty(e => e.Progress, e => done ? 1 : e.Progress)
            .SetProperty(e => e.Phase, e => done ? null : e.Phase)
            .SetProperty(e => e.FinishedAt, now)
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseExpiresAt, (DateTime?)null));
    }
}
