using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Hosting;
using Slip.Web.Live;

namespace Slip.Web.Runs;

/// <summary>The outcome of a resume: the new attempt's number, or why the run cannot be resumed (nothing changed).</summary>
public sealed record ResumeResult(int? Attempt, string? Problem, bool NotFound = false)
{
    public bool Succeeded => Attempt is not null;
}

/// <summary>
/// Continues a failed or cancelled run with the same run id as a new attempt from its last saved state (the resume
/// state written with each checkpoint; a run with none starts again from step 0). Before anything changes it checks
/// that state and the last checkpoint against their sha256; then it records the checkpoint files the lost attempt
/// wrote but did not record (<see cref="CheckpointRecords.RecordOrphansAsync"/>), moves the points it logged after
/// that step aside (kept as superseded, rebuilt summaries count nothing twice) and queues the run.
/// </summary>
public sealed class RunResumer(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunLauncher launcher,
    CheckpointIntegrity integrity,
    RunEventHub hub,
    IOptions<SlipOptions> options,
    ILogger<RunResumer> logger)
{
    /// <summary>
    /// After a run was failed because its worker went away (shut down, restarted, stopped beating): resumes it when
    /// Slip:Workers:ResumeInterrupted is on, and logs what happened; when it is off, records the checkpoint files the
    /// lost attempt wrote but did not record.
    /// </summary>
    public async Task ResumeInterruptedAsync(long runId, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Workers.ResumeInterrupted)
        {
            await RecordLostCheckpointsAsync(runId, cancellationToken);
            return;
        }

        var resumed = await ResumeAsync(runId, cancellationToken);
        logger.LogInformation("Run {RunId} was interrupted: {Outcome}", runId, resumed.Succeeded ? $"queued again as attempt {resumed.Attempt}" : resumed.Problem);
    }

    /// <summary>
    /// For a run that stays failed: records every complete epoch file its lost attempt wrote but did not live to record,
    /// so it can be evaluated and downloaded. A later resume rewrites (and records again) those past its saved state.
    /// </summary>
    private async Task RecordLostCheckpointsAsync(long runId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.TotalSteps, r.ConfigJson }).SingleOrDefaultAsync(cancellationToken);
        if (run is not null)
        {
            await CheckpointRecords.RecordOrphansAsync(db, runId, options.Value.CheckpointDirectory(runId), run.TotalSteps, run.TotalSteps, RunConfig.FromJson(run.ConfigJson), logger);
        }
    }

    public async Task<ResumeResult> ResumeAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null)
        {
            return new ResumeResult(null, $"Run {runId} does not exist.", NotFound: true);
        }

        if (run.Status is not (RunStatus.Failed or RunStatus.Cancelled))
        {
            return new ResumeResult(null, $"Run {runId} is {run.Status}; only a failed or cancelled run can be resumed.");
        }

        var directory = options.Value.CheckpointDirectory(runId);
        if (ResumeState.Problem(directory) is { } stateProblem)
        {
            return new ResumeResult(null, $"{stateProblem} Clone the run to start it again.");
        }

        var last = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderByDescending(c => c.Step).FirstOrDefaultAsync(cancellationToken);
        if (last is not null && await integrity.ProblemAsync(last, cancellationToken) is { } checkpointProblem)
        {
            return new ResumeResult(null, $"Cannot resume: {checkpointProblem}");
        }

        var fromStep = ResumeState.StepOf(directory) ?? 0;
        await CheckpointRecords.RecordOrphansAsync(db, runId, directory, fromStep, run.TotalSteps, RunConfig.FromJson(run.ConfigJson), logger);
        var reopened = await db.Runs
            .Where(r => r.Id == runId && (r.Status == RunStatus.Failed || r.Status == RunStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Queued)
                .SetProperty(r => r.Error, (string?)null)
                .SetProperty(r => r.FinishedAt, (DateTime?)null)
                .SetProperty(r => r.CancelRequested, false)
                .SetProperty(r => r.Step, fromStep)
                .SetProperty(r => r.Progress, r => r.TotalSteps > 0 ? (double)fromStep / r.TotalSteps : 0), cancellationToken);
        if (reopened == 0)
        {
            return new ResumeResult(null, $"Run {runId} changed while it was being resumed; reload and try again.");
        }

        // Points after the saved step came from the lost attempt: the new one logs those steps again.
        var moved = await MetricSupersede.RewindAsync(db, runId, fromStep, run.Attempt, cancellationToken);
        await db.RunAttempts.Where(a => a.RunId == runId && a.Number == run.Attempt)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.SupersededPoints, a => a.SupersededPoints + moved), cancellationToken);
        await launcher.EnqueueAsync(db, runId, cancellationToken);
        logger.LogInformation("Run {RunId} resumes from step {Step} as attempt {Attempt}; {Moved} later points of attempt {Previous} superseded.", runId, fromStep, run.Attempt + 1, moved, run.Attempt);
        hub.Publish(new RunUpdate(runId, Status: RunStatus.Queued, Step: fromStep, MetricsRewound: true));
        return new ResumeResult(run.Attempt + 1, null);
    }
}
