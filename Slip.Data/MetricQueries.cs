using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>Writing and reading metric series, shared by the worker (writes) and the dashboard (reads).</summary>
public static class MetricQueries
{
    /// <summary>Inserts a batch of points for one run in one SaveChanges, then stops tracking them so a long-lived context stays small.</summary>
    public static async Task AddPointsAsync(
        SlipDbContext db,
        long runId,
        IEnumerable<(string name, long step, double epoch, double value, DateTime time)> points,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(points);
        var rows = points
            .Select(p => new MetricPoint { RunId = runId, Name = p.name, Step = p.step, Epoch = p.epoch, Value = p.value, Time = p.time })
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        db.MetricPoints.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        foreach (var row in rows)
        {
            db.Entry(row).State = EntityState.Detached;
        }
    }

    /// <summary>The points of one metric of one run with step greater than <paramref name="afterStep"/>, ordered by step.</summary>
    public static Task<List<MetricPoint>> SeriesAsync(
        SlipDbContext db,
        long runId,
        string name,
        long afterStep = -1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.MetricPoints
            .AsNoTracking()
            .Where(p => p.RunId == runId && p.Name == name && p.Step > afterStep)
            .OrderBy(p => p.Step)
            .ThenBy(p => p.Id)
            .ToListAsync(cancellationToken);
    }
}
