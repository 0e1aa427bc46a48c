using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Runs;

/// <summary>
/// Names for a run's checkpoints (latest, best by a metric, epoch-N) and its retention policy (keep the latest k, every
/// n-th, the best by a metric): which checkpoint an alias means, and which files a policy deletes.
/// </summary>
public static class CheckpointRetention
{
    /// <summary>The checkpoint an alias names: "latest", "epoch-N", or "best:METRIC" (by the metric's value logged at the checkpoint's step).</summary>
    public static async Task<Checkpoint?> ResolveAsync(SlipDbContext db, long runId, string alias, CancellationToken ct = default)
    {
        var checkpoints = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.Epoch).ToListAsync(ct);
        if (alias == "latest")
        {
            return checkpoints.LastOrDefault();
        }

        if (alias.StartsWith("epoch-", StringComparison.Ordinal) && int.TryParse(alias.AsSpan(6), out var epoch))
        {
            return checkpoints.FirstOrDefault(c => c.Epoch == epoch);
        }

        return alias.StartsWith("best:", StringComparison.Ordinal) ? await BestAsync(db, runId, alias[5..], checkpoints, ct) : null;
    }

    /// <summary>The checkpoint whose step has the best value of <paramref name="metric"/> (lowest for losses), or null if none was logged there.</summary>
    public static async Task<Checkpoint?> BestAsync(SlipDbContext db, long runId, string metric, IReadOnlyList<Checkpoint> checkpoints, CancellationToken ct = default)
    {
        var steps = checkpoints.Select(c => c.Step).ToList();
        if (steps.Count == 0)
        {
            return null;
        }

        var at = steps.ToHashSet();
        var values = new List<MetricRow>();
        await foreach (var p in MetricQueries.ReadAsync(db, runId, metric, steps.Min(), steps.Max(), ct))
        {
            if (at.Contains(p.Step))
            {
                values.Add(p);
            }
        }

        var finite = values.Where(v => double.IsFinite(v.Value)).ToList();
        if (finite.Count == 0)
        {
            return null;
        }

        var best = MetricSummary.LowerIsBetter(metric) ? finite.MinBy(v => v.Value)! : finite.MaxBy(v => v.Value)!;
        return checkpoints.LastOrDefault(c => c.Step == best.Step);
    }

    /// <summary>
    /// Applies the run config's retention after a new checkpoint: deletes the files (and rows) of checkpoints the policy
    /// does not keep. The latest is always kept. Returns the epochs deleted.
    /// </summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(SlipDbContext db, long runId, RunConfig config, ILogger logger, CancellationToken ct = default)
    {
        if (config.Checkpoints.KeepLast is not { } keepLast)
        {
            return [];
        }

        var checkpoints = await db.Checkpoints.Where(c => c.RunId == runId).OrderBy(c => c.Epoch).ToListAsync(ct);
        var keep = checkpoints.TakeLast(keepLast).Select(c => c.Id).ToHashSet();
        if (config.Checkpoints.KeepEvery is { } every)
        {
            keep.UnionWith(checkpoints.Where(c => c.Epoch % every == 0).Select(c => c.Id));
        }

        if (config.Checkpoints.KeepBest is { Length: > 0 } metric && await BestAsync(db, runId, metric, checkpoints, ct) is { } best)
        {
            keep.Add(best.Id);
        }

        var doomed = checkpoints.Where(c => !keep.Contains(c.Id)).ToList();
        foreach (var checkpoint in doomed)
        {
            try
            {
                File.Delete(checkpoint.FilePath);
            }
            catch (IOException ex)
            {
                logger.LogWarning("Run {RunId}: could not delete checkpoint {Path} under the retention policy: {Reason}", runId, checkpoint.FilePath, ex.Message);
                continue;
            }

            db.Checkpoints.Remove(checkpoint);
        }

        await db.SaveChangesAsync(ct);
        return doomed.Select(c => c.Epoch).ToList();
    }
}
