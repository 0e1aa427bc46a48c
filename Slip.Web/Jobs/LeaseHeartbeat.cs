using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Hosting;

namespace Slip.Web.Jobs;

/// <summary>
/// Keeps a training run's lease while its trainer runs: every <see cref="WorkerOptions.HeartbeatInterval"/> it moves
/// the lease's expiry one <see cref="WorkerOptions.HeartbeatTimeout"/> ahead, but only while this worker still holds
/// it. If the run was taken away (its lease expired during an outage and the run was failed or resumed elsewhere),
/// the trainer is stopped, so two trainers never train one run. A beat that cannot reach the store is tried again
/// at the next interval.
/// </summary>
public sealed class LeaseHeartbeat(IDbContextFactory<SlipDbContext> dbFactory, long runId, string worker, WorkerOptions workers, ILogger logger)
{
    public bool Lost { get; private set; }

    public async Task BeatAsync(Action stopTrainer, CancellationToken stop)
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
                    logger.LogWarning("Run {RunId}: heartbeat failed ({Reason}); trying again in {Seconds} s.", runId, ex.GetBaseException().Message, workers.HeartbeatInterval.TotalSeconds);
                    continue;
                }

                if (!held)
                {
                    Lost = true;
                    stopTrainer();
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
        return await db.Runs
            .Where(r => r.Id == runId && r.Status == RunStatus.Running && r.LeaseOwner == worker)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, expires), stop) == 1;
    }
}
