using System.Data;
using Microsoft.EntityFrameworkCore;
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
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY \"MetricPoints\" (\"RunId\", \"Name\", \"Step\", \"Epoch\", \"Value\", \"Time\") FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var p in points)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(runId, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(p.Name, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(p.Step, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(p.Epoch, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(p.Value, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(Utc(p.Time), NpgsqlDbType.TimestampTz, ct);
                }

                await copy.CompleteAsync(ct);
            }

            await using (var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) SELECT * FROM unnest(@run, @name, @level, @bucket, @count, @min, @max, @last, @lastStep, @lastEpoch, @lastTime) "
                + RollupConflict("LEAST", "GREATEST"), connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter("run", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rollups.Select(r => r.RunId).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rollups.Select(r => r.Name).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("level", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = rollups.Select(r => r.Level).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("bucket", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rollups.Select(r => r.Bucket).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rollups.Select(r => r.Count).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("min", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = rollups.Select(r => r.Min).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("max", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = rollups.Select(r => r.Max).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("last", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = rollups.Select(r => r.Last).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("lastStep", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rollups.Select(r => r.LastStep).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("lastEpoch", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = rollups.Select(r => r.LastEpoch).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("lastTime", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = rollups.Select(r => Utc(r.LastTime)).ToArray() });
                await command.ExecuteNonQueryAsync(ct);
            }

            await using (var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) SELECT * FROM unnest(@run, @name, @count, @firstStep, @lastStep, @last, @lastTime, @min, @minStep, @max, @maxStep) "
                + SummaryConflict("LEAST", "GREATEST"), connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter("run", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.RunId).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = summaries.Select(s => s.Name).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.Count).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("firstStep", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.FirstStep).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("lastStep", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.LastStep).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("last", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = summaries.Select(s => s.Last).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("lastTime", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = summaries.Select(s => Utc(s.LastTime)).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("min", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = summaries.Select(s => s.Min).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("minStep", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.MinStep).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("max", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = summaries.Select(s => s.Max).ToArray() });
                command.Parameters.Add(new NpgsqlParameter("maxStep", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = summaries.Select(s => s.MaxStep).ToArray() });
                await command.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
}
