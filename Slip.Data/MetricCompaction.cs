using Microsoft.EntityFrameworkCore;

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

    /// <summary>Merges the newest small blocks of one metric while the rule above finds some (inside the caller's transaction).</summary>
    public static async Task CompactAsync(SlipDbContext db, long runId, string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        while (true)
        {
            var newest = await db.MetricBlocks.AsNoTracking().Where(b => b.RunId == runId && b.Name == name)
                .OrderByDescending(b => b.Id).Take(Window).Select(b => new { b.Id, b.Count }).ToListAsync(ct);
            var merge = Enumerable.Range(0, 3)
                .Select(k => newest.TakeWhile(b => Class(b.Count) <= k).ToList() is var run && run.Count(b => Class(b.Count) == k) >= Fanout ? run : null)
                .FirstOrDefault(run => run is not null);
            if (merge is null)
            {
                return;
            }

            var ids = merge.Select(b => b.Id).ToList();
            var blocks = await db.MetricBlocks.AsNoTracking().Where(b => ids.Contains(b.Id)).OrderBy(b => b.Id).ToListAsync(ct);
            var rows = blocks.SelectMany(MetricBlockCodec.Rows).ToList();
            await MetricIngest.InsertBlocksAsync(db, [MetricBlockCodec.Pack(runId, rows, 0, rows.Count)], ct);
            await db.MetricBlocks.Where(b => ids.Contains(b.Id)).ExecuteDeleteAsync(ct);
        }
    }

    /// <summary>0 for 1-15 points, 1 for 16-255, 2 for 256-4,095, 3 (never merged) from <see cref="Large"/> on.</summary>
    public static int Class(int count) => count < Fanout ? 0 : count < Fanout * Fanout ? 1 : count < Large ? 2 : 3;
}
