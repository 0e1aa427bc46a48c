using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Runs;

/// <summary>One attempt of a run as the API and the Run page show it.</summary>
public sealed record AttemptView(int Number, long FromStep, string? Worker, DateTime StartedAt, DateTime? FinishedAt, string Status, string? Error, long SupersededPoints);

/// <summary>A run's checkpoints in epoch order, and their aliases (latest, best:METRIC) by checkpoint id.</summary>
public sealed record RunCheckpoints(List<Checkpoint> Checkpoints, Dictionary<long, IReadOnlyList<string>> Aliases);

/// <summary>What the Run page and the API read about one run besides its metrics: checkpoints with aliases, evaluations, attempts.</summary>
public static class RunPageQuery
{
    public static Task<List<AttemptView>> AttemptsAsync(SlipDbContext db, long runId, CancellationToken ct = default) =>
        db.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number)
            .Select(a => new AttemptView(a.Number, a.FromStep, a.Worker, a.StartedAt, a.FinishedAt, a.Status.ToString(), a.Error, a.SupersededPoints))
            .ToListAsync(ct);

    public static Task<List<Evaluation>> EvaluationsAsync(SlipDbContext db, long runId, CancellationToken ct = default) =>
        db.Evaluations.AsNoTracking().Where(e => e.RunId == runId).OrderByDescending(e => e.Id).ToListAsync(ct);

    /// <summary>The run's checkpoints and their aliases: latest, and best by the config's retention metric (else held-out zero-shot).</summary>
    public static async Task<RunCheckpoints> CheckpointsAsync(SlipDbContext db, Run run, CancellationToken ct = default)
    {
        var list = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == run.Id).OrderBy(c => c.Epoch).ToListAsync(ct);
        var named = new Dictionary<long, List<string>>();
        void Name(Checkpoint? c, string alias)
        {
            if (c is not null)
            {
                (named.TryGetValue(c.Id, out var l) ? l : named[c.Id] = []).Add(alias);
            }
        }

        Name(list.LastOrDefault(), "latest");
        var metric = RunConfig.FromJson(run.ConfigJson).Checkpoints.KeepBest ?? MetricNames.ZeroShotAcc1;
        Name(await CheckpointRetention.BestAsync(db, run.Id, metric, list, ct), $"best:{metric}");
        return new RunCheckpoints(list, named.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value));
    }

    /// <summary>The latest value of each of these metrics (from the summaries, never the points).</summary>
    public static Task<Dictionary<string, double>> LatestAsync(SlipDbContext db, long runId, IReadOnlyCollection<string> metrics, CancellationToken ct = default) =>
        db.MetricSummaries.AsNoTracking().Where(m => m.RunId == runId && metrics.Contains(m.Name)).ToDictionaryAsync(m => m.Name, m => m.Last, ct);
}
