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
        // Both upserts in one command: one round trip per batch, which counts for a live run's small batches.
        var statements = new List<string>();
        await using var command = new NpgsqlCommand
        {
            Connection = (NpgsqlConnection)db.Database.GetDbConnection(),
            Transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(),
        };
        if (rollups.Count > 0)
        {
            statements.Add($"INSERT INTO \"MetricRollups\" AS r ({RollupColumns}) SELECT * FROM unnest(@r_run, @r_name, @level, @bucket, @r_count, @r_min, @r_max, @r_last, @r_lastStep, @r_lastEpoch, @r_lastTime) "
                + RollupConflict("LEAST", "GREATEST"));
            AddArray(command, "r_run", NpgsqlDbType.Bigint, rollups.Select(r => r.RunId));
            AddArray(command, "r_name", NpgsqlDbType.Text, rollups.Select(r => r.Name));
            AddArray(command, "level", NpgsqlDbType.Integer, rollups.Select(r => r.Level));
            AddArray(command, "bucket", NpgsqlDbType.Bigint, rollups.Select(r => r.Bucket));
            AddArray(command, "r_count", NpgsqlDbType.Bigint, rollups.Select(r => r.Count));
            AddArray(command, "r_min", NpgsqlDbType.Double, rollups.Select(r => r.Min));
            AddArray(command, "r_max", NpgsqlDbType.Double, rollups.Select(r => r.Max));
            AddArray(command, "r_last", NpgsqlDbType.Double, rollups.Select(r => r.Last));
            AddArray(command, "r_lastStep", NpgsqlDbType.Bigint, rollups.Select(r => r.LastStep));
            AddArray(command, "r_lastEpoch", NpgsqlDbType.Double, rollups.Select(r => r.LastEpoch));
            AddArray(command, "r_lastTime", NpgsqlDbType.TimestampTz, rollups.Select(r => MetricBlockCodec.Utc(r.LastTime)));
        }

        if (summaries.Count > 0)
        {
            statements.Add($"INSERT INTO \"MetricSummaries\" AS s ({SummaryColumns}) SELECT * FROM unnest(@s_run, @s_name, @s_count, @firstStep, @s_lastStep, @s_last, @s_lastTime, @s_min, @minStep, @s_max, @maxStep) "
                + SummaryConflict("LEAST", "GREATEST"));
            AddArray(command, "s_run", NpgsqlDbType.Bigint, summaries.Select(s => s.RunId));
            AddArray(command, "s_name", NpgsqlDbType.Text, summaries.Select(s => s.Name));
            AddArray(command, "s_count", NpgsqlDbType.Bigint, summaries.Select(s => s.Count));
            AddArray(command, "firstStep", NpgsqlDbType.Bigint, summaries.Select(s => s.FirstStep));
            AddArray(command, "s_lastStep", NpgsqlDbType.Bigint, summaries.Select(s => s.LastStep));
            AddArray(command, "s_last", NpgsqlDbType.Double, summaries.Select(s => s.Last));
            AddArray(command, "s_lastTime", NpgsqlDbType.TimestampTz, summaries.Select(s => MetricBlockCodec.Utc(s.LastTime)));
            AddArray(command, "s_min", NpgsqlDbType.Double, summaries.Select(s => s.Min));
            AddArray(command, "minStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MinStep));
            AddArray(command, "s_max", NpgsqlDbType.Double, summaries.Select(s => s.Max));
            AddArray(command, "maxStep", NpgsqlDbType.Bigint, summaries.Select(s => s.MaxStep));
        }

        if (statements.Count > 0)
        {
            command.CommandText = string.Join(";\n", statements);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Binds one column of rows as an array parameter, for INSERT ... SELECT FROM unnest(...).</summary>
    private static void AddArray<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });
}
