using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Evaluations;

namespace Slip.Web.Compare;

/// <summary>
/// Reads finished runs and their final zero-shot, linear-probe and fine-tuning accuracies: from the latest succeeded
/// evaluation of the run's last checkpoint on the run's own dataset where there is one, else from the evaluation made
/// during training (zero-shot each epoch, the probe at the end).
/// </summary>
public static class ComparisonQuery
{
    public const string ZeroShotMetric = MetricNames.ZeroShotAcc1;
    public const string LinearMetric = MetricNames.LinearProbeAcc1;

    public static async Task<IReadOnlyList<RunScores>> LoadAsync(SlipDbContext db, CancellationToken ct = default)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded).Select(r => new { r.Id, r.ConfigJson, r.Dataset }).ToListAsync(ct);
        var ids = runs.Select(r => r.Id).ToList();
        // A metric's summary holds its value at the last step logged: its final score.
        var inTraining = (await db.MetricSummaries.AsNoTracking()
                .Where(s => ids.Contains(s.RunId) && (s.Name == ZeroShotMetric || s.Name == LinearMetric))
                .Select(s => new { s.RunId, s.Name, s.Last }).ToListAsync(ct))
            .ToDictionary(s => (s.RunId, s.Name), s => s.Last);
        var evaluations = (await db.Evaluations.AsNoTracking().Where(e => ids.Contains(e.RunId) && e.Status == RunStatus.Succeeded).ToListAsync(ct))
            .ToLookup(e => e.RunId);
        var scores = new List<RunScores>();
        foreach (var run in runs)
        {
            RunConfig config;
            try
            {
                config = RunConfig.FromJson(run.ConfigJson);
            }
            catch (FormatException)
            {
                continue; // a run whose config cannot be read cannot be placed in a table
            }

            // Evaluations of the last evaluated epoch on the run's dataset, latest last, so later results win.
            var own = evaluations[run.Id].Where(e => e.Dataset == run.Dataset).ToList();
            var final = own.Count == 0 ? [] : own.Where(e => e.Epoch == own.Max(x => x.Epoch)).OrderBy(e => e.Id).ToList();
            double? Score(string evalMetric, string? trainingMetric) =>
                final.Select(EvaluationResults.Metrics).LastOrDefault(m => m.ContainsKey(evalMetric))?[evalMetric]
                ?? (trainingMetric is not null && inTraining.TryGetValue((run.Id, trainingMetric), out var v) ? v : null);
            scores.Add(new RunScores(config.Model, config.ObjectiveLabel, config.Optim.Epochs, Score(MetricNames.Acc1, ZeroShotMetric), Score(LinearMetric, LinearMetric), Score(MetricNames.FineTuneAcc1, null)));
        }

        return scores;
    }
}
