using Microsoft.EntityFrameworkCore;
using Slip.Data;

namespace Slip.Web.Runs;

/// <summary>
/// What the runs table shows: a search over names, tags and notes; filters on status, objective, model, dataset and
/// tag; a sort on a column or on a metric's last or best value. Every value reaches the database as a parameter.
/// </summary>
public sealed record RunFilter
{
    public string? Search { get; init; }

    public RunStatus? Status { get; init; }

    public string? Objective { get; init; }

    public string? Model { get; init; }

    public string? Dataset { get; init; }

    public string? Tag { get; init; }

    /// <summary>name, objective, model, dataset, status, created, started, progress, or metric:NAME:last / metric:NAME:best.</summary>
    public string Sort { get; init; } = "created";

    public bool Descending { get; init; } = true;
}

/// <summary>One row of the runs table: the run, the summaries of the chosen metric columns, and its ETA while it runs.</summary>
public sealed record RunRow(Run Run, IReadOnlyDictionary<string, MetricSummary> Metrics, TimeSpan? Eta)
{
    public IReadOnlyList<string> Tags => RunTags.Parse(Run.Tags);
}

/// <summary>The runs table's query: one page of filtered, sorted runs with their metric summaries (no point is read).</summary>
public static class RunQuery
{
    public static readonly string[] Sorts = ["name", "objective", "model", "dataset", "status", "created", "started", "progress"];

    public static async Task<(IReadOnlyList<RunRow> Rows, int Total)> PageAsync(SlipDbContext db, RunFilter filter, int skip, int take, IReadOnlyList<string> metrics, CancellationToken ct = default)
    {
        var query = Sorted(db, Filtered(db.Runs.AsNoTracking(), filter), filter);
        var total = await query.CountAsync(ct);
        var runs = await query.Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
        var ids = runs.Select(r => r.Id).ToList();
        var summaries = metrics.Count == 0 ? [] : await db.MetricSummaries.AsNoTracking().Where(s => ids.Contains(s.RunId) && metrics.Contains(s.Name)).ToListAsync(ct);
        var byRun = summaries.ToLookup(s => s.RunId);
        var now = DateTime.UtcNow;
        return (runs.Select(r => new RunRow(r, byRun[r.Id].ToDictionary(s => s.Name), Eta(r, now))).ToList(), total);
    }

    /// <summary>Every metric name logged by any run, for choosing table columns.</summary>
    public static async Task<IReadOnlyList<string>> MetricNamesAsync(SlipDbContext db, CancellationToken ct = default) =>
        await db.MetricSummaries.Select(s => s.Name).Distinct().OrderBy(n => n).ToListAsync(ct);

    /// <summary>The values the filters offer: objectives, models, datasets and tags in use.</summary>
    public static async Task<(IReadOnlyList<string> Objectives, IReadOnlyList<string> Models, IReadOnlyList<string> Datasets, IReadOnlyList<string> Tags)> FacetsAsync(SlipDbContext db, CancellationToken ct = default)
    {
        var objectives = await db.Runs.Select(r => r.Objective).Distinct().OrderBy(x => x).ToListAsync(ct);
        var models = await db.Runs.Select(r => r.Model).Distinct().OrderBy(x => x).ToListAsync(ct);
        var datasets = await db.Runs.Select(r => r.Dataset).Distinct().OrderBy(x => x).ToListAsync(ct);
        var tags = (await db.Runs.Where(r => r.Tags != "").Select(r => r.Tags).Distinct().ToListAsync(ct)).SelectMany(RunTags.Parse).Distinct().Order().ToList();
        return (objectives, models, datasets, tags);
    }

    /// <summary>Time left for a running run, from its rate so far; null when not running or not yet measurable.</summary>
    public static TimeSpan? Eta(Run run, DateTime now) =>
        run is { Status: RunStatus.Running, StartedAt: { } started, Progress: > 0.001 and < 1 }
            ? TimeSpan.FromSeconds((now - started).TotalSeconds / run.Progress * (1 - run.Progress))
            : null;

    private static IQueryable<Run> Filtered(IQueryable<Run> runs, RunFilter f)
    {
        if (!string.IsNullOrWhiteSpace(f.Search))
        {
            var term = f.Search.Trim().ToLowerInvariant();
            runs = runs.Where(r => r.Name.ToLower().Contains(term) || r.Tags.Contains(term) || r.Notes.ToLower().Contains(term));
        }

        if (f.Status is { } status)
        {
            runs = runs.Where(r => r.Status == status);
        }

        if (!string.IsNullOrEmpty(f.Objective))
        {
            runs = runs.Where(r => r.Objective == f.Objective);
        }

        if (!string.IsNullOrEmpty(f.Model))
        {
            runs = runs.Where(r => r.Model == f.Model);
        }

        if (!string.IsNullOrEmpty(f.Dataset))
        {
            runs = runs.Where(r => r.Dataset == f.Dataset);
        }

        if (!string.IsNullOrWhiteSpace(f.Tag))
        {
            var tag = "," + f.Tag.Trim().ToLowerInvariant() + ",";
            runs = runs.Where(r => r.Tags.Contains(tag));
        }

        return runs;
    }

    private static IQueryable<Run> Sorted(SlipDbContext db, IQueryable<Run> runs, RunFilter f)
    {
        if (f.Sort.StartsWith("metric:", StringComparison.Ordinal) && f.Sort.Split(':') is [_, var name, var which])
        {
            // Runs without the metric sort last either way.
            var best = which == "best";
            var lower = MetricSummary.LowerIsBetter(name);
            var summaries = db.MetricSummaries.Where(s => s.Name == name);
            var keyed = runs.Select(r => new
            {
                Run = r,
                Missing = !summaries.Any(s => s.RunId == r.Id),
                Value = summaries.Where(s => s.RunId == r.Id).Select(s => best ? (lower ? s.Min : s.Max) : s.Last).FirstOrDefault(),
            });
            var ordered = keyed.OrderBy(k => k.Missing);
            return (f.Descending ? ordered.ThenByDescending(k => k.Value) : ordered.ThenBy(k => k.Value)).ThenByDescending(k => k.Run.Id).Select(k => k.Run);
        }

        return (f.Sort, f.Descending) switch
        {
            ("name", false) => runs.OrderBy(r => r.Name).ThenBy(r => r.Id),
            ("name", true) => runs.OrderByDescending(r => r.Name).ThenByDescending(r => r.Id),
            ("objective", false) => runs.OrderBy(r => r.Objective).ThenByDescending(r => r.Id),
            ("objective", true) => runs.OrderByDescending(r => r.Objective).ThenByDescending(r => r.Id),
            ("model", false) => runs.OrderBy(r => r.Model).ThenByDescending(r => r.Id),
            ("model", true) => runs.OrderByDescending(r => r.Model).ThenByDescending(r => r.Id),
            ("dataset", false) => runs.OrderBy(r => r.Dataset).ThenByDescending(r => r.Id),
            ("dataset", true) => runs.OrderByDescending(r => r.Dataset).ThenByDescending(r => r.Id),
            ("status", false) => runs.OrderBy(r => r.Status).ThenByDescending(r => r.Id),
            ("status", true) => runs.OrderByDescending(r => r.Status).ThenByDescending(r => r.Id),
            ("started", false) => runs.OrderBy(r => r.StartedAt).ThenBy(r => r.Id),
            ("started", true) => runs.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id),
            ("progress", false) => runs.OrderBy(r => r.Progress).ThenByDescending(r => r.Id),
            ("progress", true) => runs.OrderByDescending(r => r.Progress).ThenByDescending(r => r.Id),
            (_, false) => runs.OrderBy(r => r.Id),
            _ => runs.OrderByDescending(r => r.Id),
        };
    }
}
