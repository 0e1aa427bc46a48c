using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Runs;

namespace Slip.Web.Compare;

/// <summary>What the Compare curves page offers: recent runs, the metrics chosen runs logged, the config keys they differ on.</summary>
public static class CurveChoicesQuery
{
    /// <summary>The latest runs (newest first), to choose from.</summary>
    public static async Task<List<(long Id, string Name)>> RecentRunsAsync(SlipDbContext db, int count = 500, CancellationToken ct = default) =>
        (await db.Runs.AsNoTracking().OrderByDescending(r => r.Id).Take(count).Select(r => new { r.Id, r.Name }).ToListAsync(ct)).Select(r => (r.Id, r.Name)).ToList();

    /// <summary>The metrics the runs logged, in name order.</summary>
    public static Task<List<string>> MetricsAsync(SlipDbContext db, IReadOnlyList<long> runIds, CancellationToken ct = default) =>
        db.MetricSummaries.Where(s => runIds.Contains(s.RunId)).Select(s => s.Name).Distinct().OrderBy(n => n).ToListAsync(ct);

    /// <summary>The config keys on which the runs differ: what grouping can split on.</summary>
    public static async Task<List<string>> DifferingKeysAsync(SlipDbContext db, IReadOnlyList<long> runIds, CancellationToken ct = default)
    {
        var configs = (await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).Select(r => r.ConfigJson).ToListAsync(ct)).Select(ConfigDiff.Flatten).ToList();
        return configs.SelectMany(c => c.Keys).Distinct().Where(k => configs.Select(c => c.GetValueOrDefault(k)).Distinct().Count() > 1).Order(StringComparer.Ordinal).ToList();
    }
}
