using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>Reading raw metric points (writes go through <see cref="MetricIngest"/>).</summary>
public static class MetricQueries
{
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
