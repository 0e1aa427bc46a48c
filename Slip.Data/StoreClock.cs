using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>
/// The one clock leases are read and written by: PostgreSQL's, which every host of a cluster shares, so a host whose
/// own clock runs ahead neither takes a live worker's run (its lease looks expired to it) nor one behind keeps a dead
/// one's. With SQLite (one host) it is this host's clock.
/// </summary>
public static class StoreClock
{
    public static async Task<DateTime> NowAsync(SlipDbContext db, TimeProvider host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(host);
        if (!db.Database.IsNpgsql())
        {
            return host.GetUtcNow().UtcDateTime;
        }

        var now = await db.Database.SqlQueryRaw<DateTime>("SELECT (now() AT TIME ZONE 'UTC') AS \"Value\"").SingleAsync(cancellationToken);
        return DateTime.SpecifyKind(now, DateTimeKind.Utc);
    }
}
