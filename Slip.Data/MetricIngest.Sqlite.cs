using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Slip.Data;

public static partial class MetricIngest
{
    private static async Task WriteSqliteAsync(SlipDbContext db, long runId, IReadOnlyList<MetricRow> points, List<MetricSummary> summaries, List<MetricRollup> rollups, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            var outer = (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
            await using var own = outer is null ? (SqliteTransaction)await connection.BeginTransactionAsync(ct) : null;
            var transaction = outer ?? own!;
            await InsertEachAsync(connection, transaction,
                "INSERT INTO \"MetricPoints\" (\"RunId\", \"Name\", \"Step\", \"Epoch\", \"Value\", \"Time\") VALUES ($0, $1, $2, $3, $4, $5)",
                points.Where(p => double.IsFinite(p.Value)), p => [runId, p.Name, p.Step, p.Epoch, p.Value, Text(p.Time)], ct);   // SQLite stores NaN as NULL: such points live only in the summary's count
            await InsertEachAsync(connection, transaction,
                $"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) " + RollupConflict("min", "max"),
                rollups, r => [r.RunId, r.Name, r.Level, r.Bucket, r.Count, r.Min, r.Max, r.Last, r.LastStep, r.LastEpoch, Text(r.LastTime)], ct);
            await InsertEachAsync(connection, transaction,
                $"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) " + SummaryConflict("min", "max"),
                summaries, s => [s.RunId, s.Name, s.Count, s.FirstStep, s.LastStep, s.Last, Text(s.LastTime), s.Min, s.MinStep, s.Max, s.MaxStep], ct);
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

    /// <summary>Runs one prepared statement per row, rebinding its parameters ($0, $1, ...).</summary>
    private static async Task InsertEachAsync<T>(SqliteConnection connection, SqliteTransaction transaction, string sql, IEnumerable<T> rows, Func<T, object[]> values, CancellationToken ct)
    {
        await using var command = new SqliteCommand(sql, connection, transaction);
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
    private static string Text(DateTime time) => Utc(time).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
}
