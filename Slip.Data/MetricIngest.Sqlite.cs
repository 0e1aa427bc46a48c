using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Slip.Data;

public static partial class MetricIngest
{
    private static Task InsertBlocksSqliteAsync(SlipDbContext db, IReadOnlyList<MetricBlock> blocks, CancellationToken ct) =>
        InsertEachAsync(db,
            "INSERT INTO \"MetricBlocks\" (\"RunId\", \"Name\", \"FirstStep\", \"LastStep\", \"Count\", \"Points\") VALUES ($0, $1, $2, $3, $4, $5)",
            blocks, b => [b.RunId, b.Name, b.FirstStep, b.LastStep, b.Count, b.Points], ct);

    private static async Task UpsertAggregatesSqliteAsync(SlipDbContext db, List<MetricSummary> summaries, List<MetricRollup> rollups, CancellationToken ct)
    {
        await InsertEachAsync(db,
            $"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) " + RollupConflict("min", "max"),
            rollups, r => [r.RunId, r.Name, r.Level, r.Bucket, r.Count, r.Min, r.Max, r.Last, r.LastStep, r.LastEpoch, Text(r.LastTime)], ct);
        await InsertEachAsync(db,
            $"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) " + SummaryConflict("min", "max"),
            summaries, s => [s.RunId, s.Name, s.Count, s.FirstStep, s.LastStep, s.Last, Text(s.LastTime), s.Min, s.MinStep, s.Max, s.MaxStep], ct);
    }

    /// <summary>Runs one prepared statement per row, rebinding its parameters ($0, $1, ...).</summary>
    private static async Task InsertEachAsync<T>(SlipDbContext db, string sql, IEnumerable<T> rows, Func<T, object[]> values, CancellationToken ct)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = new SqliteCommand(sql, connection, (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction());
        SqliteParameter[]? parameters = null;
        foreach (var row in rows)
        {
            var v = values(row);
            if (parameters is null)
            {
                parameters = v.Select((_, i) => command.Parameters.Add(new SqliteParameter($"${i}", null))).ToArray();
                command.Prepare();
            }

            for (var i = 0; i < v.Length; i++)
            {
                parameters[i].Value = v[i];
            }

            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>A UTC time as EF Core's SQLite provider stores DateTime, so EF reads back what ADO wrote.</summary>
    private static string Text(DateTime time) => MetricBlockCodec.Utc(time).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
}
