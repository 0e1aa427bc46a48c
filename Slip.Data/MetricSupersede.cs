using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>
/// Rewinds a run's metrics to the step a resumed attempt continues from: points logged after it move to
/// <see cref="SupersededMetricPoint"/> (kept, with the attempt that logged them), and the run's summaries and rollups
/// are rebuilt from the points that remain, so nothing the resumed attempt logs again is counted twice.
/// </summary>
public static class MetricSupersede
{
    /// <summary>Moves the run's points after <paramref name="afterStep"/> aside as logged by <paramref name="attempt"/>; returns how many moved.</summary>
    public static async Task<long> RewindAsync(SlipDbContext db, long runId, long afterStep, int attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The blocks holding later points, and every block written after the first of them: rewritten in their order, so
        // points at one step keep their order (the block's id) against the blocks left alone.
        var first = await db.MetricBlocks.Where(b => b.RunId == runId && b.LastStep > afterStep).MinAsync(b => (long?)b.Id, cancellationToken);
        var blocks = await db.MetricBlocks.AsNoTracking().Where(b => b.RunId == runId && b.Id >= first).OrderBy(b => b.Id).ToListAsync(cancellationToken);
        var moved = blocks.SelectMany(MetricBlockCodec.Rows).Where(p => p.Step > afterStep)
            .Select(p => new SupersededMetricPoint { RunId = runId, Attempt = attempt, Name = p.Name, Step = p.Step, Epoch = p.Epoch, Value = double.IsNaN(p.Value) ? null : p.Value, Time = p.Time })
            .ToList();
        if (moved.Count > 0)
        {
            var kept = blocks.Select(b => MetricBlockCodec.Rows(b).Where(p => p.Step <= afterStep).ToList()).Where(rows => rows.Count > 0)
                .Select(rows => MetricBlockCodec.Pack(runId, rows, 0, rows.Count)).ToList();
            var ids = blocks.Select(b => b.Id).ToList();
            await db.MetricBlocks.Where(b => ids.Contains(b.Id)).ExecuteDeleteAsync(cancellationToken);
            await MetricIngest.InsertBlocksAsync(db, kept, cancellationToken);
            db.SupersededMetricPoints.AddRange(moved);
            await db.SaveChangesAsync(cancellationToken);
            moved.ForEach(p => db.Entry(p).State = EntityState.Detached);
            await db.MetricSummaries.Where(s => s.RunId == runId).ExecuteDeleteAsync(cancellationToken);
            await db.MetricRollups.Where(r => r.RunId == runId).ExecuteDeleteAsync(cancellationToken);
            await MetricIngest.WriteAggregatesAsync(db, runId, await MetricQueries.RunAsync(db, runId, cancellationToken), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return moved.Count;
    }
}
