using System.Data.Common;
using System.Net.Sockets;

namespace Slip.Web.Hosting;

/// <summary>
/// Retries a store operation through a database outage (PostgreSQL restarting, the network dropping) with backoff
/// from 250 ms doubling to 10 s, until it succeeds or <c>cancellationToken</c> fires. Errors that are not the store's
/// (a bug) are not retried.
/// </summary>
public static class StoreRetry
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(Func<Task> operation, ILogger logger, string what, CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        var failures = 0;
        var since = DateTime.UtcNow;
        while (true)
        {
            try
            {
                await operation();
                if (failures > 0)
                {
                    logger.LogWarning("The store is back: {What} written after {Failures} failed tries over {Seconds:F1} s.", what, failures, (DateTime.UtcNow - since).TotalSeconds);
                }

                return;
            }
            catch (Exception ex) when (IsStoreFault(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    since = DateTime.UtcNow;
                    logger.LogWarning("The store is unreachable ({Reason}); {What} is kept in memory and retried with backoff.", ex.GetBaseException().Message, what);
                }

                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Whether the error is the database's or its connection's (worth retrying), anywhere in its inner exceptions. A
    /// bare IOException is not: the providers wrap their socket errors in their own exceptions, and a file problem
    /// (a checkpoint gone missing) must fail rather than be retried forever.
    /// </summary>
    public static bool IsStoreFault(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException or Microsoft.EntityFrameworkCore.DbUpdateException)
            {
                return true;
            }
        }

        return false;
    }
}
