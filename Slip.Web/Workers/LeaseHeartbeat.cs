using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// Keeps a run's or an evaluation's lease while its child process runs: every
/// <see cref="WorkerOptions.HeartbeatInterval"/> it moves the lease's expiry one <see cref="WorkerOptions.HeartbeatTimeout"/>
/// ahead, but only while this worker still holds it. If the row was taken away (its lease expired during an outage and
/// it was failed, or resumed elsewhere), the child is stopped, so two processes never work on one row. A beat that
/// cannot reach the store is tried again at the next interval.
/// </summary>
public sealed class LeaseHeartbeat<TRow>(IDbContextFactory<SlipDbContext> dbFactory, long id, string name, string worker, WorkerOptions workers, ILogger logger)
    where TRow : class, ILeasedWork
{
    private volatile bool lost;

    /// <summary>The worker that holds (or held) the lease.</summary>
    public string Worker => worker;

    /// <summary>True once a renewal found the lease gone; the child was then stopped.</summary>
    public bool Lost => lost;

    public async Task BeatAsync(Action stopChild, CancellationToken stop)
    {
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
                    logger.LogWarning("{Work}: heartbeat failed ({Reason}); trying again in {Seconds} s.", name, ex.GetBaseException().Message, workers.HeartbeatInterval.TotalSeconds);
                    continue;
                }

                if (!held)
                {
                    lost = true;   // before stopping: a child started after this sees it and stops itself
                    stopChild();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> RenewAsync(CancellationToken stop)
    {
        await using var db = await dbFactory.CreateDbContextAsync(stop);
        var expires = DateTime.UtcNow + workers.HeartbeatTimeout;
        return await db.Set<TRow>()
            .Where(r => r.Id == id && r.Status == RunStatus.Running && r.LeaseOwner == worker)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, expires), stop) == 1;
    }
}
