using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>
/// Points stored a row each, as Slip did before blocks (decision 0026): the migration to blocks renames their table to
/// <c>LegacyMetricPoints</c>, and this packs them into <see cref="MetricBlock"/>s run by run (each run in one
/// transaction, so an interrupted upgrade resumes where it stopped), then drops the table.
/// </summary>
public static class LegacyMetricPoints
{
    /// <summary>Converts whatever the legacy table still holds; does nothing once it is gone.</summary>
    public static async Task ConvertAsync(SlipDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!await ExistsAsync(db, ct))
        {
            return;
        }

        // Points of runs deleted since (the trigger that deleted them went with the table's rename) go with the table.
        var runs = await db.Database.SqlQuery<long>($"""SELECT DISTINCT "RunId" AS "Value" FROM "LegacyMetricPoints" WHERE "RunId" IN (SELECT "Id" FROM "Runs")""").ToListAsync(ct);
        foreach (var runId in runs)
        {
            var rows = (await db.Database.SqlQuery<LegacyPoint>($"""
                    SELECT "Name", "Step", "Epoch", "Value", "Time" FROM "LegacyMetricPoints" WHERE "RunId" = {runId} ORDER BY "Name", "Step", "Id"
                    """).ToListAsync(ct))
                .Select(p => new MetricRow(p.Name, p.Step, p.Epoch, p.Value ?? double.NaN, MetricBlockCodec.Utc(p.Time)))
                .ToList();
            await MetricIngest.InTransactionAsync(db, async () =>
            {
                await MetricIngest.InsertBlocksAsync(db, MetricIngest.Blocks(runId, rows), ct);
                await db.Database.ExecuteSqlAsync($"""DELETE FROM "LegacyMetricPoints" WHERE "RunId" = {runId}""", ct);
            }, ct);
        }

        await db.Database.ExecuteSqlRawAsync("""DROP TABLE "LegacyMetricPoints" """, ct);
    }

    private static async Task<bool> ExistsAsync(SlipDbContext db, CancellationToken ct) => db.Database.IsNpgsql()
        ? await db.Database.SqlQuery<bool>($"""SELECT to_regclass('"LegacyMetricPoints"') IS NOT NULL AS "Value" """).SingleAsync(ct)
        : await db.Database.SqlQuery<long>($"""SELECT count(*) AS "Value" FROM sqlite_master WHERE type = 'table' AND name = 'LegacyMetricPoints'""").SingleAsync(ct) > 0;

    /// <summary>A legacy row as read (SQLite stored a non-finite value as NULL).</summary>
    private sealed record LegacyPoint(string Name, long Step, double Epoch, double? Value, DateTime Time);
}
