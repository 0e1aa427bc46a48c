using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Slip.Data;

public static partial class MetricIngest
{
    private static async Task CopyBlocksPostgresAsync(SlipDbContext db, IReadOnlyList<MetricBlock> blocks, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY \"MetricBlocks\" (\"RunId\", \"Name\", \"FirstStep\", \"LastStep\", \"Count\", \"Points\") FROM STDIN (FORMAT BINARY)", ct);
        foreach (var b in blocks)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(b.RunId, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(b.Name, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(b.FirstStep, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(b.LastStep, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(b.Count, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(b.Points, NpgsqlDbType.Bytea, ct);
        }

        await copy.CompleteAsync(ct);
    }

    private static async Task UpsertAggregatesPostgresAsync(SlipDbContext db, List<MetricSummary> summaries, List<MetricRollup> rollups, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        if (rollups.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) SELECT * FROM unnest(@run, @name, @level, @bucket, @count, @min, @max, @last, @lastStep, @lastEpoch, @lastTime) "
                + RollupConflict("LEAST", "GREATEST"), connection, transaction);
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
            AddArray(command, "lastTime", NpgsqlDbType.TimestampTz, rollups.Select(r => MetricBlockCodec.Utc(r.LastTime)));
            await command.ExecuteNonQueryAsync(ct);
        }

        if (summaries.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                $"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) SELECT * FROM unnest(@run, @name, @count, @firstStep, @lastStep, @last, @lastTime, @min, @minStep, @max, @maxStep) "
                + SummaryConflict("LEAST", "GREATEST"), connection, transaction);
            AddArray(command, "run", NpgsqlDbType.Bigint, summaries.Select(s => s.RunId));
            AddArray(command, "name", NpgsqlDbType.Text, summaries.Select(s => s.Name));
            AddArray(command, "count", NpgsqlDbType.Bigint, summaries.Select(s => s.Count));
            AddArray(command, "firstStep", NpgsqlDbType.Bigint, summaries.Select(s => s.FirstStep));
            AddArray(command, "lastStep", NpgsqlDbType.Bigint, summaries.Select(s => s.LastStep));
            AddArray(command, "last", NpgsqlDbType.Double, summaries.Select(s => s.Last));
            AddArray(command, "lastTime", NpgsqlDbType.TimestampTz, summaries.Select(s => MetricBlockCodec.Utc(s.LastTime)));
            AddArray(command, "min", NpgsqlDbType.Double, summaries.Select(s => s.Min));
            AddArray(command, "minStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MinStep));
            AddArray(command, "max", NpgsqlDbType.Double, summaries.Select(s => s.Max));
            AddArray(command, "maxStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MaxStep));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Binds one column of rows as an array parameter, for INSERT ... SELECT FROM unnest(...).</summary>
    private static void AddArray<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });
}
