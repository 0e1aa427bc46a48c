using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>
/// Points stored a row each, as Slip did before blocks (decision 0026): the migration to blocks renames their table to
/// <c>LegacyMetricPoints</c>, and this packs them into <see cref="MetricBlock"/>s run by run (each run in one
/// transaction, so an interrupted upgrade resumes where it stopped), then drops the table.
/// </summary>
public static class LegacyMetricPoints
{
    /// <summary>The advisory lock's key: "SlipLMP" in ASCII.</summary>
    private const long AdvisoryLock = 0x536C69704C4D50;

    /// <summary>Converts whatever the legacy table still holds; does nothing once it is gone.</summary>
    /// <remarks>
    /// Hosts sharing a PostgreSQL server may start together: the conversion holds an advisory lock, and a run's blocks
    /// are kept only if that transaction deleted every row it read, so no run is converted twice.
    /// </remarks>
    public static async Task ConvertAsync(SlipDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var postgres = db.Database.IsNpgsql();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (postgres)
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({AdvisoryLock})", ct);
            }

            if (await ExistsAsync(db, ct))
            {
                await ConvertRunsAsync(db, ct);
                await db.Database.ExecuteSqlRawAsync("""DROP TABLE IF EXISTS "LegacyMetricPoints" """, ct);
            }
        }
        finally
        {
            if (postgres)
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({AdvisoryLock})", CancellationToken.None);
            }

            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task ConvertRunsAsync(SlipDbContext db, CancellationToken ct)
    {
        // Points of runs deleted since (the trigger that deleted them went with the table's rename) go with the table.
        var runs = await db.Database.SqlQuery<long>($"""SELECT DISTINCT "RunId" AS "Value" FROM "LegacyMetricPoints" WHERE "RunId" IN (SELECT "Id" FROM "Runs")""").ToListAsync(ct);
        foreach (var runId in runs)
        {
            var rows = (await db.Database.SqlQuery<LegacyPoint>($"""
                    SELECT "Name", "Step", "Epoch", "Value", "Time" FROM "LegacyMetricPoints" WHERE "RunId" = {runId} ORDER BY "Name", "Step", "Id"
                    """).ToListAsync(ct))
                .Select(p => new MetricRow(p.Name, p.Step, p.Epoch, p.Value ?? double.NaN, MetricBlockCodec.Utc(p.Time)))
                .ToList();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (await db.Database.ExecuteSqlAsync($"""DELETE FROM "LegacyMetricPoints" WHERE "RunId" = {runId}""", ct) != rows.Count)
            {
                continue;   // another start converted it meanwhile: the rollback keeps its blocks only
            }

            await MetricIngest.InsertBlocksAsync(db, MetricIngest.Blocks(runId, rows), ct);
            await transaction.CommitAsync(ct);
        }
    }

    private static async Task<bool> ExistsAsync(SlipDbContext db, CancellationToken ct) => db.Database.IsNpgsql()
        ? await db.Database.SqlQuery<bool>($"""SELECT to_regclass('"LegacyMetricPoints"') IS NOT NULL AS "Value" """).SingleAsync(ct)
        : await db.Database.SqlQuery<long>($"""SELECT count(*) AS "Value" FROM sqlite_master WHERE type = 'table' AND name = 'LegacyMetricPoints'""").SingleAsync(ct) > 0;

    /// <summary>A legacy row as read (SQLite stored a non-finite value as NULL).</summary>
    private sealed record LegacyPoint(string Name, long Step, double Epoch, double? Value, DateTime Time);
}
