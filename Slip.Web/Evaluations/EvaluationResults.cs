using System.Text.Json;
using Slip.Data;
using Slip.Training;
using Slip.Training.Evaluation;

namespace Slip.Web.Evaluations;

/// <summary>Reads an evaluation's stored results (clip_benchmark-shaped JSON).</summary>
public static class EvaluationResults
{
    /// <summary>The results of a finished evaluation; empty when it has none or they cannot be read.</summary>
    public static IReadOnlyList<EvalResult> Of(Evaluation evaluation)
    {
        if (string.IsNullOrWhiteSpace(evaluation.ResultsJson))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<EvalResult>>(evaluation.ResultsJson, RunConfig.JsonOptions) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>All metrics of all tasks in one dictionary (task metric names do not collide: acc1, lp_acc1, ft_acc1, ...).</summary>
    public static Dictionary<string, double> Metrics(Evaluation evaluation) => EvalResult.Merge(Of(evaluation));
}
