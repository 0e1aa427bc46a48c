using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Runs;

namespace Slip.Web.Compare;

/// <summary>One line of an overlay: a run, or a group of runs sharing a config value, with mean and std per step bucket.</summary>
public sealed record CurveLine(string Label, IReadOnlyList<long> RunIds, IReadOnlyList<long> Steps, IReadOnlyList<double> Mean, IReadOnlyList<double?> Std);

/// <summary>The overlay of one metric across runs, and the chosen runs that do not have it (shown, not an error).</summary>
public sealed record CurveOverlay(string Metric, string? GroupBy, IReadOnlyList<CurveLine> Lines, IReadOnlyList<string> Missing);

/// <summary>
/// Overlays one metric of several runs on shared step buckets, one line per run or, grouped by a config key, one line
/// per value with mean ± std over its runs in every bucket (a bucket's mean uses the runs that logged in it, whichever
/// they are, so no run is sampled away).
/// </summary>
public static class CurveComparison
{
    public const int MaxRuns = 100;

    public static async Task<CurveOverlay> LoadAsync(SlipDbContext db, IReadOnlyList<long> runIds, string metric, string? groupBy, int buckets = 600, CancellationToken ct = default)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).Select(r => new { r.Id, r.Name, r.ConfigJson }).ToListAsync(ct);
        var summaries = await db.MetricSummaries.AsNoTracking().Where(s => runIds.Contains(s.RunId) && s.Name == metric).ToDictionaryAsync(s => s.RunId, ct);
        var missing = runs.Where(r => !summaries.ContainsKey(r.Id)).Select(r => $"#{r.Id} {r.Name}").ToList();
        var present = runs.Where(r => summaries.ContainsKey(r.Id)).ToList();
        if (present.Count == 0)
        {
            return new CurveOverlay(metric, groupBy, [], missing);
        }

        var lo = present.Min(r => summaries[r.Id].FirstStep);
        var hi = present.Max(r => summaries[r.Id].LastStep);
        var width = Math.Max(1, (hi - lo + buckets) / buckets);
        var perRun = new Dictionary<long, double?[]>();
        foreach (var run in present)
        {
            var series = await MetricSeries.DownsampleAsync(db, run.Id, metric, lo, hi, buckets, ct);
            var values = new double?[buckets];
            foreach (var p in series.Points)
            {
                values[Math.Clamp((p.Step - lo) / width, 0, buckets - 1)] = p.Last;
            }

            perRun[run.Id] = values;
        }

        var groups = present.GroupBy(r => groupBy is null ? $"#{r.Id} {r.Name}" : $"{groupBy} = {ConfigDiff.Flatten(r.ConfigJson).GetValueOrDefault(groupBy) ?? "(unset)"}");
        var lines = new List<CurveLine>();
        foreach (var group in groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var (steps, mean, std) = (new List<long>(), new List<double>(), new List<double?>());
            for (var b = 0; b < buckets; b++)
            {
                var values = group.Select(r => perRun[r.Id][b]).Where(v => v is not null && double.IsFinite(v.Value)).Select(v => v!.Value).ToList();
                if (values.Count == 0)
                {
                    continue;
                }

                var m = values.Average();
                steps.Add(lo + (b * width) + width - 1);
                mean.Add(m);
                std.Add(values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1)) : null);
            }

            var ids = group.Select(r => r.Id).ToList();
            lines.Add(new CurveLine(groupBy is null ? group.Key : $"{group.Key} (n={ids.Count})", ids, steps, mean, std));
        }

        return new CurveOverlay(metric, groupBy, lines, missing);
    }

    /// <summary>The overlay as CSV: one row per (line, step) with mean, std and the number of runs in the line.</summary>
    public static string ToCsv(CurveOverlay overlay)
    {
        var text = new StringBuilder("line,runs,step,").Append(CsvText.Field(overlay.Metric)).Append("_mean,").Append(CsvText.Field(overlay.Metric)).Append("_std\n");
        foreach (var line in overlay.Lines)
        {
            for (var i = 0; i < line.Steps.Count; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{CsvText.Field(line.Label)},{line.RunIds.Count},{line.Steps[i]},{line.Mean[i]:R},{(line.Std[i] is { } s ? s.ToString("R", CultureInfo.InvariantCulture) : "")}\n");
            }
        }

        return text.ToString();
    }
}
