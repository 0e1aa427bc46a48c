using System.Globalization;
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
/// The Hangfire job that runs one evaluation: claims it, checks the checkpoint is still the file that was recorded
/// (sha256), runs the CLI's <c>eval --request --events</c> as a child process on the worker's device, records its
/// progress and results, and stops it when cancelled.
/// </summary>
public sealed class EvaluationJob(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    WorkerRegistry workers,
    CheckpointIntegrity integrity,
    IOptions<SlipOptions> options,
    ILogger<EvaluationJob> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    [Queue("training")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long evaluationId, PerformContext? context, CancellationToken cancellationToken)
    {
        var worker = context?.ServerId ?? $"{WorkerRegistry.HostName}/cpu";
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var now = DateTime.UtcNow;
        var claimed = await db.Evaluations
            .Where(e => e.Id == evaluationId && e.Status == RunStatus.Queued && !e.CancelRequested)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, RunStatus.Running).SetProperty(e => e.StartedAt, now).SetProperty(e => e.Worker, worker), CancellationToken.None);
        var evaluation = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == evaluationId, CancellationToken.None);
        if (evaluation is null || claimed == 0)
        {
            logger.LogInformation("Evaluation {EvaluationId} was not started by this delivery: it is {Status}.", evaluationId, evaluation?.Status.ToString() ?? "missing");
            return;
        }

        hub.Publish(new RunUpdate(evaluation.RunId, EvaluationChanged: true));
        var (status, error, results) = await EvaluateAsync(evaluation, workers.DeviceOf(context?.ServerId), cancellationToken);
        await FinishAsync(db, evaluation, status, error, results);
    }

    private async Task<(RunStatus Status, string? Error, string? Results)> EvaluateAsync(Evaluation evaluation, string device, CancellationToken cancellationToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            // The file must still be the one recorded (length and sha256) before its weights are trusted.
            var checkpoint = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.Id == evaluation.CheckpointId, CancellationToken.None);
            var problem = checkpoint is null
                ? $"Checkpoint {evaluation.CheckpointId} of run {evaluation.RunId} no longer exists."
                : await integrity.ProblemAsync(checkpoint, CancellationToken.None);
            if (problem is not null)
            {
                return (RunStatus.Failed, problem + " It was not evaluated.", null);
            }
        }

        var directory = Path.Combine(options.Value.RunsDirectory, evaluation.RunId.ToString(CultureInfo.InvariantCulture), "evaluations", evaluation.Id.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var requestPath = Path.Combine(directory, "request.json");
        var resultsPath = Path.Combine(directory, "results.json");
        await File.WriteAllTextAsync(requestPath, evaluation.RequestJson, CancellationToken.None);

        TrainerProcess evaluator;
        try
        {
            evaluator = TrainerProcess.Start(options.Value, ["eval", "--request", requestPath, "--events", "--out", resultsPath], directory, device);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (RunStatus.Failed, ex.Message, null);
        }

        await using var _ = evaluator;
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = evaluator.StopWhenAsync(() => IsCancelRequestedAsync(evaluation.Id), TimeSpan.FromSeconds(options.Value.CancelGraceSeconds), stopWatching.Token);
        string? failure = null;
        var completed = false;
        var lastProgress = DateTime.MinValue;
        await foreach (var e in evaluator.EventsAsync(CancellationToken.None))
        {
            switch (e.Type)
            {
                case TrainerEvent.Progress or TrainerEvent.Started when DateTime.UtcNow - lastProgress > ProgressInterval:
                    lastProgress = DateTime.UtcNow;
                    await RecordProgressAsync(evaluation, e);
                    break;
                case TrainerEvent.Failed:
                    failure = e.Message;
                    break;
                case TrainerEvent.Completed:
                    completed = true;
                    break;
            }
        }

        await evaluator.WaitForExitAsync(CancellationToken.None);
        await stopWatching.CancelAsync();
        await watcher;
        if (await IsCancelRequestedAsync(evaluation.Id))
        {
            return (RunStatus.Cancelled, null, null);
        }

        if (completed && evaluator.ExitCode == 0 && File.Exists(resultsPath))
        {
            return (RunStatus.Succeeded, null, await File.ReadAllTextAsync(resultsPath, CancellationToken.None));
        }

        return (RunStatus.Failed, failure ?? (cancellationToken.IsCancellationRequested ? "The worker shut down while this evaluation ran." : evaluator.DescribeExit()), null);
    }

    private async Task<bool> IsCancelRequestedAsync(long evaluationId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await db.Evaluations.Where(e => e.Id == evaluationId).Select(e => e.CancelRequested).SingleOrDefaultAsync();
    }

    private async Task RecordProgressAsync(Evaluation evaluation, TrainerEvent e)
    {
        var progress = e.TotalSteps > 0 ? Math.Clamp((double)e.Step / e.TotalSteps, 0, 1) : 0;
        var phase = e.Message is { Length: > 256 } long_ ? long_[..256] : e.Message;
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            await db.Evaluations.Where(x => x.Id == evaluation.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Progress, progress).SetProperty(x => x.Phase, phase));
        }

        hub.Publish(new RunUpdate(evaluation.RunId, EvaluationChanged: true));
    }

    private async Task FinishAsync(SlipDbContext db, Evaluation evaluation, RunStatus status, string? error, string? results)
    {
        await SetFinalAsync(db, evaluation.Id, status, error, results);
        logger.LogInformation("Evaluation {EvaluationId} of run {RunId} finished: {Status} {Error}", evaluation.Id, evaluation.RunId, status, error);
        hub.Publish(new RunUpdate(evaluation.RunId, EvaluationChanged: true));
    }

    internal static Task<int> SetFinalAsync(SlipDbContext db, long evaluationId, RunStatus status, string? error, string? results = null)
    {
        var now = DateTime.UtcNow;
        var done = status == RunStatus.Succeeded;
        return db.Evaluations.Where(e => e.Id == evaluationId).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.Status, status)
            .SetProperty(e => e.Error, error)
            .SetProperty(e => e.ResultsJson, results)
            .SetProperty(e => e.Progress, e => done ? 1 : e.Progress)
            .SetProperty(e => e.Phase, e => done ? null : e.Phase)
            .SetProperty(e => e.FinishedAt, now));
    }
}
