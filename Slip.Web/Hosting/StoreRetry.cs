using System.Data.Common;
using System.Net.Sockets;
using Polly;
using Polly.Retry;

namespace Slip.Web.Hosting;

/// <summary>
/// Retries a store operation through a database outage (PostgreSQL restarting, the network dropping, SQLite busy)
/// with Polly: exponential backoff with jitter from 250 ms to 10 s, until it succeeds or <c>cancellationToken</c>
/// fires. Only transient faults are retried (<see cref="IsStoreFault"/>); a permanent one (a constraint violated, a
/// malformed query, a bug) is thrown at once, for the caller to fail its work with the reason.
/// </summary>
public static class StoreRetry
{
    private static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsStoreFault),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(10),
            MaxRetryAttempts = int.MaxValue,
        })
        .Build();

    public static async Task RunAsync(Func<Task> operation, ILogger logger, string what, CancellationToken cancellationToken)
    {
        var failures = 0;
        var since = DateTime.UtcNow;
        await Pipeline.ExecuteAsync(async token =>
        {
            try
            {
                await operation();
            }
            catch (Exception ex) when (IsStoreFault(ex))
            {
                if (failures++ == 0)
                {
                    since = DateTime.UtcNow;
                    logger.LogWarning("The store is unreachable ({Reason}); {What} is kept in memory and retried with backoff.", ex.GetBaseException().Message, what);
                }

                throw;   // Polly decides whether and when to try again
            }
        }, cancellationToken);
        if (failures > 0)
        {
            logger.LogWarning("The store is back: {What} written after {Failures} failed tries over {Seconds:F1} s.", what, failures, (DateTime.UtcNow - since).TotalSeconds);
        }
    }

    /// <summary>
    /// Whether the error is a transient fault of the database or its connection, worth retrying, anywhere in its inner
    /// exceptions: what the provider marks transient (<see cref="DbException.IsTransient"/>: Npgsql's network errors
    /// and PostgreSQL's serialization failures, deadlocks, lack of resources), SQLite's busy and locked, PostgreSQL
    /// refusing connections while it shuts down, restarts or recovers (SQL states 08xxx, 57P0x), and the network's own
    /// errors. A constraint violation or a malformed query is permanent, and so is a bare IOException: a file problem
    /// (a checkpoint gone missing) must fail rather than be retried forever.
    /// </summary>
    public static bool IsStoreFault(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Npgsql.PostgresException postgres:
                    return postgres.IsTransient || postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P0", StringComparison.Ordinal);
                case Microsoft.Data.Sqlite.SqliteException sqlite:
                    return sqlite.SqliteErrorCode is 5 or 6;   // SQLITE_BUSY, SQLITE_LOCKED: another writer holds the file
                case DbException { IsTransient: true } or SocketException or TimeoutException:
                    return true;
                case Npgsql.NpgsqlException { InnerException: System.IO.IOException or SocketException or TimeoutException }:
                    return true;
            }
        }

        return false;
    }
}
