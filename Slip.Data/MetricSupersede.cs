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
        var moved = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "SupersededMetricPoints" ("RunId", "Attempt", "Name", "Step", "Epoch", "Value", "Time")
            SELECT "RunId", {attempt}, "Name", "Step", "Epoch", "Value", "Time" FROM "MetricPoints" WHERE "RunId" = {runId} AND "Step" > {afterStep}
            """, cancellationToken);
        if (moved > 0)
        {
            await db.MetricPoints.Where(p => p.RunId == runId && p.Step > afterStep).ExecuteDeleteAsync(cancellationToken);
            await db.MetricSummaries.Where(s => s.RunId == runId).ExecuteDeleteAsync(cancellationToken);
            await db.MetricRollups.Where(r => r.RunId == runId).ExecuteDeleteAsync(cancellationToken);
            var remaining = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId).OrderBy(p => p.Step)
                .Select(p => new MetricRow(p.Name, p.Step, p.Epoch, p.Value, p.Time)).ToListAsync(cancellationToken);
            await MetricIngest.WriteAggregatesAsync(db, runId, remaining, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return moved;
    }
}
