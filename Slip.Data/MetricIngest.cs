using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>One logged value as it is ingested.</summary>
public readonly record struct MetricRow(string Name, long Step, double Epoch, double Value, DateTime Time);

/// <summary>
/// Writes metric points in batches, as blocks (<see cref="MetricBlock"/>, decision 0026), with the per-(run, metric)
/// summary and the multi-resolution rollups in the same transaction: PostgreSQL by binary COPY and array upserts,
/// SQLite by prepared statements. Small blocks are then merged by <see cref="MetricCompaction"/>.
/// </summary>
public static partial class MetricIngest
{
    /// <summary>The most points one block holds when written (a batch's metric with more is split).</summary>
    public const int BlockCapacity = 16_384;

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
        var blocks = Blocks(runId, points);
        await InTransactionAsync(db, async () =>
        {
            await InsertBlocksAsync(db, blocks, cancellationToken);
            await UpsertAggregatesAsync(db, summaries, rollups, cancellationToken);
            var small = blocks.Where(b => b.Count < MetricCompaction.Large).Select(b => b.Name).Distinct().ToList();
            if (small.Count > 0)
            {
                await MetricCompaction.CompactAsync(db, runId, small, cancellationToken);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Builds summaries and rollups for points stored before they existed (a database upgraded from an earlier Slip):
    /// runs only when there are points but no summaries at all, reading each run's points once.
    /// </summary>
    public static async Task BackfillAsync(SlipDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (await db.MetricSummaries.AnyAsync(cancellationToken) || !await db.MetricBlocks.AnyAsync(cancellationToken))
        {
            return;
        }

        var runs = await db.MetricBlocks.Select(b => b.RunId).Distinct().ToListAsync(cancellationToken);
        foreach (var runId in runs)
        {
            await WriteAggregatesAsync(db, runId, await MetricQueries.RunAsync(db, runId, cancellationToken), cancellationToken);
        }
    }

    /// <summary>Folds already stored <paramref name="points"/> into the run's summaries and rollups without storing them again.</summary>
    internal static async Task WriteAggregatesAsync(SlipDbContext db, long runId, IReadOnlyList<MetricRow> points, CancellationToken cancellationToken)
    {
        var (summaries, rollups) = Aggregate(runId, points);
        await InTransactionAsync(db, () => UpsertAggregatesAsync(db, summaries, rollups, cancellationToken), cancellationToken);
    }

    /// <summary>Stores already packed blocks (a batch's, or merged ones), in order: the provider's fastest bulk insert.</summary>
    internal static Task InsertBlocksAsync(SlipDbContext db, IReadOnlyList<MetricBlock> blocks, CancellationToken ct) =>
        db.Database.IsNpgsql() ? CopyBlocksPostgresAsync(db, blocks, ct) : InsertBlocksSqliteAsync(db, blocks, ct);

    private static Task UpsertAggregatesAsync(SlipDbContext db, List<MetricSummary> summaries, List<MetricRollup> rollups, CancellationToken ct) =>
        db.Database.IsNpgsql() ? UpsertAggregatesPostgresAsync(db, summaries, rollups, ct) : UpsertAggregatesSqliteAsync(db, summaries, rollups, ct);

    /// <summary>A batch's points as blocks: one per metric (in the order the metrics first appear), split at <see cref="BlockCapacity"/>.</summary>
    internal static List<MetricBlock> Blocks(long runId, IReadOnlyList<MetricRow> points)
    {
        var blocks = new List<MetricBlock>();
        foreach (var metric in points.GroupBy(p => p.Name, StringComparer.Ordinal))
        {
            var rows = metric.ToList();
            for (var start = 0; start < rows.Count; start += BlockCapacity)
            {
                blocks.Add(MetricBlockCodec.Pack(runId, rows, start, Math.Min(BlockCapacity, rows.Count - start)));
            }
        }

        return blocks;
    }

    /// <summary>Runs <paramref name="work"/> on an open connection inside the caller's transaction when there is one (a resume's rewind), else its own.</summary>
    private static async Task InTransactionAsync(SlipDbContext db, Func<Task> work, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
            await work();
            if (own is not null)
            {
                await own.CommitAsync(ct);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The batch's own summary per metric and rollup per (metric, level, bucket), to be merged with what is stored.</summary>
    public static (List<MetricSummary> Summaries, List<MetricRollup> Rollups) Aggregate(long runId, IReadOnlyList<MetricRow> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var metrics = new Dictionary<string, MetricAggregate>(StringComparer.Ordinal);
        var rollups = new List<MetricRollup>();
        foreach (var p in points)
        {
            if (p.Step < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(points), $"Metric '{p.Name}' has a negative step ({p.Step}).");
            }

            if (!metrics.TryGetValue(p.Name, out var metric))
            {
                metric = metrics[p.Name] = new MetricAggregate(new MetricSummary
                {
                    RunId = runId,
                    Name = p.Name,
                    FirstStep = p.Step,
                    LastStep = -1,
                    Min = double.PositiveInfinity,
                    Max = double.NegativeInfinity,
                });
            }

            var finite = double.IsFinite(p.Value);
            Fold(metric.Summary, p, finite);
            if (finite)
            {
                metric.Roll(runId, p, rollups);   // rollups draw finite values only; the point itself is kept
            }
        }

        return (metrics.Values.Select(m => m.Summary).ToList(), rollups);
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

    /// <summary>
    /// One metric's summary and rollups within a batch. Points mostly come in step order, so each level's latest bucket
    /// is checked before the metric's bucket table.
    /// </summary>
    private sealed class MetricAggregate(MetricSummary summary)
    {
        private readonly MetricRollup?[] latest = new MetricRollup?[MetricRollup.Levels + 1];
        private readonly Dictionary<(int Level, long Bucket), MetricRollup> buckets = [];

        public MetricSummary Summary { get; } = summary;

        public void Roll(long runId, MetricRow p, List<MetricRollup> all)
        {
            for (var level = MetricRollup.FirstLevel; level <= MetricRollup.Levels; level++)
            {
                var bucket = p.Step / MetricRollup.Width(level);
                var r = latest[level];
                if (r is null || r.Bucket != bucket)
                {
                    if (!buckets.TryGetValue((level, bucket), out r))
                    {
                        r = buckets[(level, bucket)] = new MetricRollup
                        {
                            RunId = runId,
                            Name = p.Name,
                            Level = level,
                            Bucket = bucket,
                            LastStep = -1,
                            Min = double.PositiveInfinity,
                            Max = double.NegativeInfinity,
                        };
                        all.Add(r);
                    }

                    latest[level] = r;
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
    }
}
