using Slip.Data;
using Slip.Training.Evaluation;

namespace Slip.Web.Evaluations;

/// <summary>An evaluation of a run's checkpoint: its tasks, status and progress, and its results once it has them.</summary>
public sealed record EvaluationAnswer(
    long Id, long RunId, long? CheckpointId, int Epoch, string Dataset, IReadOnlyList<string> Tasks, string Status, double Progress, string? Phase,
    string? Error, string? Worker, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, IReadOnlyList<EvalResult> Results)
{
    public static EvaluationAnswer Of(Evaluation e) => new(
        e.Id, e.RunId, e.CheckpointId, e.Epoch, e.Dataset, e.Tasks.Split(',', StringSplitOptions.RemoveEmptyEntries), e.Status.ToString(), e.Progress, e.Phase,
        e.Error, e.Worker, e.CreatedAt, e.StartedAt, e.FinishedAt, EvaluationResults.Of(e));
}
