using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Compare;

/// <summary>Reads finished runs and their final zero-shot and linear-probe accuracies from the store.</summary>
public static class ComparisonQuery
{
    public const string ZeroShotMetric = "zeroshot_acc1";
    public const string LinearMetric = "lp_acc1";

    public static async Task<IReadOnlyList<RunScores>> LoadAsync(SlipDbContext db, CancellationToken ct = default)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded).Select(r => new { r.Id, r.ConfigJson }).ToListAsync(ct);
        var ids = runs.Select(r => r.Id).ToList();
        // One point per epoch at most for these metrics, so the series are short: the last value of each is its final score.
        var points = await db.MetricPoints.AsNoTracking()
            .Where(p => ids.Contains(p.RunId) && (p.Name == ZeroShotMetric || p.Name == LinearMetric))
            .Select(p => new { p.RunId, p.Name, p.Step, p.Value }).ToListAsync(ct);
        var last = points.GroupBy(p => (p.RunId, p.Name)).ToDictionary(g => g.Key, g => g.MaxBy(p => p.Step)!.Value);
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

            scores.Add(new RunScores(config.Model, config.ObjectiveLabel, config.Epochs,
                last.TryGetValue((run.Id, ZeroShotMetric), out var zs) ? zs : null,
                last.TryGetValue((run.Id, LinearMetric), out var lp) ? lp : null));
        }

        return scores;
    }
}
