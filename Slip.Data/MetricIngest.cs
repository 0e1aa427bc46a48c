using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>One logged value as it is ingested.</summary>
public readonly record struct MetricRow(string Name, long Step, double Epoch, double Value, DateTime Time);

/// <summary>
/// Writes metric points in batches, with the per-(run, metric) summary and the multi-resolution rollups in the same
/// transaction: PostgreSQL by binary COPY and array upserts, SQLite by prepared statements in one transaction.
/// </summary>
public static partial class MetricIngest
{
    /// <summary>Stores <paramref name="points"/> of one run and folds them into its summaries and rollups, atomically.</summary>
    public static async Task WriteAsync(SlipDbContext db, long runId, IReadOnlyList<MetricRow> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0)
        {
            return;
        }

        var (summaries, rollups) = Aggregate(runId, points);
        if (db.Database.IsNpgsql())
        {
            await WritePostgresAsync(db, runId, points, summaries, rollups, cancellationToken);
        }
        else
        {
            await WriteSqliteAsync(db, runId, points, summaries, rollups, cancellationToken);
        }
    }

    /// <summary>
    /// Builds summaries and rollups for points stored before they existed (a database upgraded from an earlier Slip):
    /// runs only when there are points but no summaries at all, reading the points once in step order.
    /// </summary>
    public static async Task BackfillAsync(SlipDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (await db.MetricSummaries.AnyAsync(cancellationToken) || !await db.MetricPoints.AnyAsync(cancellationToken))
        {
            return;
        }

        var runs = await db.MetricPoints.Select(p => p.RunId).Distinct().ToListAsync(cancellationToken);
        foreach (var runId in runs)
        {
            var points = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId).OrderBy(p => p.Step)
                .Select(p => new MetricRow(p.Name, p.Step, p.Epoch, p.Value, p.Time)).ToListAsync(cancellationToken);
            await WriteAggregatesAsync(db, runId, points, cancellationToken);
        }
    }

    /// <summary>Folds already stored <paramref name="points"/> into the run's summaries and rollups without storing them again.</summary>
    internal static async Task WriteAggregatesAsync(SlipDbContext db, long runId, IReadOnlyList<MetricRow> points, CancellationToken cancellationToken)
    {
        var (summaries, rollups) = Aggregate(runId, points);
        if (db.Database.IsNpgsql())
        {
            await WritePostgresAsync(db, runId, [], summaries, rollups, cancellationToken);
        }
        else
        {
            await WriteSqliteAsync(db, runId, [], summaries, rollups, cancellationToken);
        }
    }

    /// <summary>The batch's own summary per metric and rollup per (metric, level, bucket), to be merged with what is stored.</summary>
    public static (List<MetricSummary> Summaries, List<MetricRollup> Rollups) Aggregate(long runId, IReadOnlyList<MetricRow> points)
    {
        var summaries = new Dictionary<string, MetricSummary>();
        var rollups = new Dictionary<(string, int, long), MetricRollup>();
        foreach (var p in points)
        {
            if (p.Step < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(points), $"Metric '{p.Name}' has a negative step ({p.Step}).");
            }

            var finite = double.IsFinite(p.Value);
            if (!summaries.TryGetValue(p.Name, out var s))
            {
                s = summaries[p.Name] = new MetricSummary
                {
                    RunId = runId,
                    Name = p.Name,
                    FirstStep = p.Step,
                    LastStep = -1,
                    Min = double.PositiveInfinity,
                    Max = double.NegativeInfinity,
                };
            }

            Fold(s, p, finite);
            if (!finite)
            {
                continue;   // rollups draw finite values only; the point itself is kept
            }

            for (var level = 1; level <= MetricRollup.Levels; level++)
            {
                var bucket = p.Step / MetricRollup.Width(level);
                if (!rollups.TryGetValue((p.Name, level, bucket), out var r))
                {
                    r = rollups[(p.Name, level, bucket)] = new MetricRollup
                    {
                        RunId = runId,
                        Name = p.Name,
                        Level = level,
                        Bucket = bucket,
                        LastStep = -1,
                        Min = double.PositiveInfinity,
                        Max = double.NegativeInfinity,
                    };
                }

                r.Count++;
                r.Min = Math.Min(r.Min, p.Value);
                r.Max = Math.Max(r.Max, p.Value);
                if (p.Step >= r.LastStep)
                {
                    (r.Last, r.LastStep, r.LastEpoch, r.LastTime) = (p.Value, p.Step, p.Epoch, p.Time);
                }
            }
        }

        return (summaries.Values.ToList(), rollups.Values.ToList());
    }

    private static void Fold(MetricSummary s, MetricRow p, bool finite)
    {
        s.Count++;
        s.FirstStep = Math.Min(s.FirstStep, p.Step);
        if (p.Step >= s.LastStep)
        {
            (s.Last, s.LastStep, s.LastTime) = (p.Value, p.Step, p.Time);
        }

        if (finite && p.Value < s.Min)
        {
            (s.Min, s.MinStep) = (p.Value, p.Step);
        }

        if (finite && p.Value > s.Max)
        {
            (s.Max, s.MaxStep) = (p.Value, p.Step);
        }
    }

    /// <summary>The merge of a batch's rollup into the stored one; <paramref name="least"/>/<paramref name="greatest"/> are the provider's two-argument min and max.</summary>
    private static string RollupConflict(string least, string greatest) => $"""
        ON CONFLICT ("RunId", "Name", "Level", "Bucket") DO UPDATE SET
            "Count" = r."Count" + excluded."Count",
            "Min" = {least}(r."Min", excluded."Min"),
            "Max" = {greatest}(r."Max", excluded."Max"),
            "Last" = CASE WHEN excluded."LastStep" >= r."LastStep" THEN excluded."Last" ELSE r."Last" END,
            "LastEpoch" = CASE WHEN excluded."LastStep" >= r."LastStep" THEN excluded."LastEpoch" ELSE r."LastEpoch" END,
            "LastTime" = CASE WHEN excluded."LastStep" >= r."LastStep" THEN excluded."LastTime" ELSE r."LastTime" END,
            "LastStep" = {greatest}(r."LastStep", excluded."LastStep")
        """;

    private static string SummaryConflict(string least, string greatest) => $"""
        ON CONFLICT ("RunId", "Name") DO UPDATE SET
            "Count" = s."Count" + excluded."Count",
            "FirstStep" = {least}(s."FirstStep", excluded."FirstStep"),
            "Last" = CASE WHEN excluded."LastStep" >= s."LastStep" THEN excluded."Last" ELSE s."Last" END,
            "LastTime" = CASE WHEN excluded."LastStep" >= s."LastStep" THEN excluded."LastTime" ELSE s."LastTime" END,
            "LastStep" = {greatest}(s."LastStep", excluded."LastStep"),
            "MinStep" = CASE WHEN excluded."Min" < s."Min" THEN excluded."MinStep" ELSE s."MinStep" END,
            "Min" = {least}(s."Min", excluded."Min"),
            "MaxStep" = CASE WHEN excluded."Max" > s."Max" THEN excluded."MaxStep" ELSE s."MaxStep" END,
            "Max" = {greatest}(s."Max", excluded."Max")
        """;

    private const string RollupColumns = "\"RunId\", \"Name\", \"Level\", \"Bucket\", \"Count\", \"Min\", \"Max\", \"Last\", \"LastStep\", \"LastEpoch\", \"LastTime\"";

    private const string SummaryColumns = "\"RunId\", \"Name\", \"Count\", \"FirstStep\", \"LastStep\", \"Last\", \"LastTime\", \"Min\", \"MinStep\", \"Max\", \"MaxStep\"";
}
