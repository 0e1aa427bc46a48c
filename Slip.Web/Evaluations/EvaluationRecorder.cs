using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Live;
using Slip.Web.Workers;

namespace Slip.Web.Evaluations;

/// <summary>
/// Records an evaluation's progress (the fraction done and what the evaluator is doing) off the loop that reads its
/// output, as <see cref="Runs.RunRecorder"/> records a run's: a store outage is ridden out in memory, and a write is fenced
/// by the evaluation's lease. Only the latest progress matters, so a batch that waited through an outage is one write.
/// The evaluator's per-task metrics are not stored here: its results file is, with the outcome.
/// </summary>
public sealed class EvaluationRecorder(
    IDbContextFactory<SlipDbContext> dbFactory,
    RunEventHub hub,
    ILogger logger,
    long evaluationId,
    long runId,
    CancellationToken giveUp,
    string? leaseOwner = null) : EventRecorder(logger, $"Evaluation {evaluationId}", giveUp, leaseOwner)
{
    private const int MaxPhaseLength = 256;

    protected override Task StoreAsync(IReadOnlyList<TrainerEvent> batch)
    {
        if (LastProgress(batch) is not { } last)
        {
            return Task.CompletedTask;
        }

        var progress = last.TotalSteps > 0 ? Math.Clamp((double)last.Step / last.TotalSteps, 0, 1) : 0;
        var phase = last.Message is { Length: > MaxPhaseLength } longPhase ? longPhase[..MaxPhaseLength] : last.Message;
        return RetryAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var updated = await db.Evaluations
                .Where(e => e.Id == evaluationId && (LeaseOwner == null || e.LeaseOwner == LeaseOwner))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Progress, progress).SetProperty(e => e.Phase, phase));
            if (updated == 0 && LeaseOwner is not null)
            {
                throw LeaseLost();
            }
        }, $"evaluation {evaluationId}'s progress");
    }

    protected override void Publish(IReadOnlyList<TrainerEvent> batch)
    {
        if (LastProgress(batch) is not null)
        {
            hub.Publish(new RunUpdate(runId, EvaluationChanged: true));
        }
    }

    private static TrainerEvent? LastProgress(IReadOnlyList<TrainerEvent> batch) =>
        batch.LastOrDefault(e => e.Type is TrainerEvent.Progress or TrainerEvent.Started);
}
