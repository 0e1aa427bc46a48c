using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Slip.Data;

/// <summary>
/// Merges a metric's small blocks, so a run logged live (a few points a batch) is not left as a block per batch. Blocks
/// below <see cref="Large"/> points are sized in classes of 16x (1-15, 16-255, 256-4,095 points). When the newest blocks
/// of a class k or smaller, contiguous in write order, hold <see cref="Fanout"/> of class k, they become one block of a
/// larger class. Each point is so rewritten at most three times, a metric keeps under about 50 small blocks, and since
/// only the newest contiguous blocks merge (into a block written after them) the order of points at one step is kept.
/// </summary>
public static class MetricCompaction
{
    /// <summary>Blocks of at least this many points are never merged.</summary>
    public const int Large = 4_096;

    /// <summary>How many blocks of one class are merged at once.</summary>
    public const int Fanout = 16;

    /// <summary>How many of the newest blocks are looked at: more than the small blocks a metric can hold.</summary>
    private const int Window = 64;

    /// <summary>Merges the newest small blocks of each of <paramref name="names"/> while the rule above finds some (inside the caller's transaction).</summary>
    /// <remarks>
    /// Plain ADO.NET commands, as the ingest's own, so the query that runs with every live batch can be prepared (planned
    /// once per connection; docs/benchmarks.md, "Metric blocks").
    /// </remarks>
    public static async Task CompactAsync(SlipDbContext db, long runId, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(names);
        var pending = names.ToList();
        while (pending.Count > 0)
        {
            // One round trip for every metric of the batch: each one's newest blocks, as a UNION ALL of indexed scans.
            var newest = new List<(string Name, long Id, int Count)>();
            var sql = string.Join(" UNION ALL ", pending.Select((_, i) =>
                $"""SELECT * FROM (SELECT "Name", "Id", "Count" FROM "MetricBlocks" WHERE "RunId" = @p0 AND "Name" = @p{i + 1} ORDER BY "Id" DESC LIMIT {Window}) AS t{i}"""));
            await using (var command = Command(db, sql, [runId, .. pending]))
            {
                await command.PrepareAsync(ct);   // PostgreSQL keeps it per connection: planned once, not each batch
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    newest.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
                }
            }

            var merged = new List<string>();
            foreach (var name in pending)
            {
                var blocks = newest.Where(b => b.Name == name).OrderByDescending(b => b.Id).Select(b => (b.Id, b.Count)).ToList();
                if (Mergeable(blocks) is { } ids)
                {
                    await MergeAsync(db, runId, name, ids, ct);
                    merged.Add(name);
                }
            }

            pending = merged;   // a merge may complete a run of the next class
        }
    }

    /// <summary>The ids of the newest contiguous blocks to merge, if the rule finds some in <paramref name="newest"/> (newest first).</summary>
    private static List<long>? Mergeable(List<(long Id, int Count)> newest) => Enumerable.Range(0, 3)
        .Select(k => newest.TakeWhile(b => Class(b.Count) <= k).ToList() is var run && run.Count(b => Class(b.Count) == k) >= Fanout ? run.Select(b => b.Id).ToList() : null)
        .FirstOrDefault(run => run is not null);

    /// <summary>
    /// Replaces the blocks <paramref name="ids"/> (newest contiguous ones of one metric) by one block of their points in
    /// id order. Packed points concatenate (<see cref="MetricBlockCodec"/>), so PostgreSQL joins them itself in one
    /// round trip; SQLite, in process, has no bytes-joining aggregate and is given the joined block.
    /// </summary>
    private static async Task MergeAsync(SlipDbContext db, long runId, string name, List<long> ids, CancellationToken ct)
    {
        var (list, values) = (string.Join(", ", ids.Select((_, i) => $"@p{i}")), ids.Cast<object>().ToArray());
        var delete = $"""DELETE FROM "MetricBlocks" WHERE "Id" IN ({list})""";
        if (db.Database.IsNpgsql())
        {
            await using var merge = Command(db, $"""
                INSERT INTO "MetricBlocks" ("RunId", "Name", "FirstStep", "LastStep", "Count", "Points")
                SELECT "RunId", "Name", min("FirstStep"), max("LastStep"), sum("Count"), string_agg("Points", ''::bytea ORDER BY "Id")
                FROM "MetricBlocks" WHERE "Id" IN ({list}) GROUP BY "RunId", "Name";
                {delete};
                """, values);
            await merge.ExecuteNonQueryAsync(ct);
            return;
        }

        var points = new MemoryStream();
        var (first, last, count) = (long.MaxValue, long.MinValue, 0);
        await using (var command = Command(db, $"""SELECT "FirstStep", "LastStep", "Count", "Points" FROM "MetricBlocks" WHERE "Id" IN ({list}) ORDER BY "Id" """, values))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                (first, last, count) = (Math.Min(first, reader.GetInt64(0)), Math.Max(last, reader.GetInt64(1)), count + reader.GetInt32(2));
                points.Write((byte[])reader[3]);
            }
        }

        await MetricIngest.InsertBlocksAsync(db, [new MetricBlock { RunId = runId, Name = name, FirstStep = first, LastStep = last, Count = count, Points = points.ToArray() }], ct);
        await using var command2 = Command(db, delete, values);
        await command2.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A command on the context's connection and transaction, its values bound as @p0, @p1, ...</summary>
    private static DbCommand Command(SlipDbContext db, string sql, object[] values)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.Value) = ($"@p{i}", values[i]);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>0 for 1-15 points, 1 for 16-255, 2 for 256-4,095, 3 (never merged) from <see cref="Large"/> on.</summary>
    public static int Class(int count) => count < Fanout ? 0 : count < Fanout * Fanout ? 1 : count < Large ? 2 : 3;
}
