using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// Keeps a run's or an evaluation's lease while its child process runs: every
/// <see cref="WorkerOptions.HeartbeatInterval"/> it moves the lease's expiry one <see cref="WorkerOptions.HeartbeatTimeout"/>
/// ahead, but only while this worker still holds it. If the row was taken away (its lease expired during an outage and
/// it was failed, or resumed elsewhere), the child is stopped, so two processes never work on one row. A beat that
/// cannot reach the store is tried again at the next interval; once no beat has reached it for a timeout less one
/// interval, the worker fences itself: it stops the child before the lease can expire and another worker take the
/// row (the other hosts' <see cref="LeaseMonitor"/> looks once per interval), so a worker cut off from the database
/// never trains beside the one that resumed its run.
/// </summary>
public sealed class LeaseHeartbeat<TRow>(IDbContextFactory<SlipDbContext> dbFactory, long id, string name, string worker, WorkerOptions workers, TimeProvider clock, ILogger logger)
    where TRow : class, ILeasedWork
{
    private volatile bool lost;

    /// <summary>The worker that holds (or held) the lease.</summary>
    public string Worker => worker;

    /// <summary>True once a renewal found the lease gone; the child was then stopped.</summary>
    public bool Lost => lost;

    /// <summary>True once the worker fenced itself (no beat reached the store for most of a timeout).</summary>
    public bool Fenced { get; private set; }

    public async Task BeatAsync(Action stopChild, CancellationToken stop)
    {
        // Measured on this host's monotonic clock from the claim (the lease's start), not compared with any other clock.
        var sinceHeld = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (true)
            {
                await Task.Delay(workers.HeartbeatInterval, stop);
                bool held;
                try
                {
                    held = await RenewAsync(stop);
                }
                catch (Exception ex) when (StoreRetry.IsStoreFault(ex) && !stop.IsCancellationRequested)
                {
                    if (sinceHeld.Elapsed >= workers.HeartbeatTimeout - workers.HeartbeatInterval)
                    {
                        logger.LogError("{Work}: no heartbeat has reached the store for {Seconds:F0} s ({Reason}); stopping its process before its lease expires and another worker takes it.", name, sinceHeld.Elapsed.TotalSeconds, ex.GetBaseException().Message);
                        Fenced = true;
                        LoseLease(stopChild);
                        return;
                    }

                    logger.LogWarning("{Work}: heartbeat failed ({Reason}); trying again in {Seconds} s.", name, ex.GetBaseException().Message, workers.HeartbeatInterval.TotalSeconds);
                    continue;
                }

                if (!held)
                {
                    LoseLease(stopChild);
                    return;
                }

                sinceHeld.Restart();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Cancelled when the lease is lost or given up: what is still waiting to be stored will not be.</summary>
    public CancellationToken LostToken => lostSource.Token;

    private readonly CancellationTokenSource lostSource = new();

    private void LoseLease(Action stopChild)
    {
        lost = true;   // before stopping: a child started after this sees it and stops itself
        stopChild();
        lostSource.Cancel();
    }

    private async Task<bool> RenewAsync(CancellationToken stop)
    {
        await using var db = await dbFactory.CreateDbContextAsync(stop);
        var expires = await StoreClock.NowAsync(db, clock, stop) + workers.HeartbeatTimeout;
        return await db.Set<TRow>()
            .Where(r => r.Id == id && r.Status == RunStatus.Running && r.LeaseOwner == worker)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, expires), stop) == 1;
    }
}
