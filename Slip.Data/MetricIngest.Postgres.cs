using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Slip.Data;

public static partial class MetricIngest
{
    private static async Task WritePostgresAsync(SlipDbContext db, long runId, IReadOnlyList<MetricRow> points, List<MetricSummary> summaries, List<MetricRollup> rollups, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // Inside the caller's transaction when there is one (a resume's rebuild), else its own.
            var outer = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
            await using var own = outer is null ? await connection.BeginTransactionAsync(ct) : null;
            var transaction = outer ?? own!;
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY \"MetricPoints\" (\"RunId\", \"Name\", \"Step\", \"Epoch\", \"Value\", \"Time\") FROM STDIN (FORMAT BINARY)", ct))
            {
                // Synchronous writes into the importer's buffer (it flushes to the socket as it fills): per-field awaits
                // were slower (docs/benchmarks.md, "Metrics store").
                foreach (var p in points)
                {
                    copy.StartRow();
                    copy.Write(runId, NpgsqlDbType.Bigint);
                    copy.Write(p.Name, NpgsqlDbType.Text);
                    copy.Write(p.Step, NpgsqlDbType.Bigint);
                    copy.Write(p.Epoch, NpgsqlDbType.Double);
                    copy.Write(p.Value, NpgsqlDbType.Double);
                    copy.Write(Utc(p.Time), NpgsqlDbType.TimestampTz);
                }

                await copy.CompleteAsync(ct);
            }

            await using (var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) SELECT * FROM unnest(@run, @name, @level, @bucket, @count, @min, @max, @last, @lastStep, @lastEpoch, @lastTime) "
                + RollupConflict("LEAST", "GREATEST"), connection, transaction))
            {
                AddArray(command, "run", NpgsqlDbType.Bigint, rollups.Select(r => r.RunId));
                AddArray(command, "name", NpgsqlDbType.Text, rollups.Select(r => r.Name));
                AddArray(command, "level", NpgsqlDbType.Integer, rollups.Select(r => r.Level));
                AddArray(command, "bucket", NpgsqlDbType.Bigint, rollups.Select(r => r.Bucket));
                AddArray(command, "count", NpgsqlDbType.Bigint, rollups.Select(r => r.Count));
                AddArray(command, "min", NpgsqlDbType.Double, rollups.Select(r => r.Min));
                AddArray(command, "max", NpgsqlDbType.Double, rollups.Select(r => r.Max));
                AddArray(command, "last", NpgsqlDbType.Double, rollups.Select(r => r.Last));
                AddArray(command, "lastStep", NpgsqlDbType.Bigint, rollups.Select(r => r.LastStep));
                AddArray(command, "lastEpoch", NpgsqlDbType.Double, rollups.Select(r => r.LastEpoch));
                AddArray(command, "lastTime", NpgsqlDbType.TimestampTz, rollups.Select(r => Utc(r.LastTime)));
                await command.ExecuteNonQueryAsync(ct);
            }

            await using (var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) SELECT * FROM unnest(@run, @name, @count, @firstStep, @lastStep, @last, @lastTime, @min, @minStep, @max, @maxStep) "
                + SummaryConflict("LEAST", "GREATEST"), connection, transaction))
            {
                AddArray(command, "run", NpgsqlDbType.Bigint, summaries.Select(s => s.RunId));
                AddArray(command, "name", NpgsqlDbType.Text, summaries.Select(s => s.Name));
                AddArray(command, "count", NpgsqlDbType.Bigint, summaries.Select(s => s.Count));
                AddArray(command, "firstStep", NpgsqlDbType.Bigint, summaries.Select(s => s.FirstStep));
                AddArray(command, "lastStep", NpgsqlDbType.Bigint, summaries.Select(s => s.LastStep));
                AddArray(command, "last", NpgsqlDbType.Double, summaries.Select(s => s.Last));
                AddArray(command, "lastTime", NpgsqlDbType.TimestampTz, summaries.Select(s => Utc(s.LastTime)));
                AddArray(command, "min", NpgsqlDbType.Double, summaries.Select(s => s.Min));
                AddArray(command, "minStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MinStep));
                AddArray(command, "max", NpgsqlDbType.Double, summaries.Select(s => s.Max));
                AddArray(command, "maxStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MaxStep));
                await command.ExecuteNonQueryAsync(ct);
            }

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

    /// <summary>Binds one column of rows as an array parameter, for INSERT ... SELECT FROM unnest(...).</summary>
    private static void AddArray<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });

    private static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
}
