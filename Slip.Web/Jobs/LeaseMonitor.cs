using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Web.Hosting;
using Slip.Web.Live;

namespace Slip.Web.Jobs;

/// <summary>
/// On every Slip host: finds running runs whose lease expired (their worker stopped beating: the machine died, the
/// network dropped, the process hung) and marks them Failed with that reason, then resumes them elsewhere when
/// <see cref="WorkerOptions.ResumeInterrupted"/> is on. A run whose trainer this host is running is left to its
/// heartbeat. Taking the lease away first makes a worker that comes back stop its trainer rather than train on.
/// </summary>
public sealed class LeaseMonitor(
    IDbContextFactory<SlipDbContext> dbFactory,
    ActiveTrainers active,
    RunResumer resumer,
    RunEventHub hub,
    IOptions<SlipOptions> options,
    ILogger<LeaseMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.Workers.HeartbeatInterval, stoppingToken);
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (StoreRetry.IsStoreFault(ex))
            {
                logger.LogDebug("Lease sweep skipped: {Reason}", ex.Message);
            }
        }
    }

    /// <summary>Fails (and resumes, if configured) every run whose lease has expired; returns their ids.</summary>
    public async Task<IReadOnlyList<long>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var workers = options.Value.Workers;
        var now = DateTime.UtcNow;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Running && r.LeaseExpiresAt != null && r.LeaseExpiresAt < now)
            .Select(r => new { r.Id, r.Worker, r.LeaseExpiresAt })
            .ToListAsync(cancellationToken);
        var failed = new List<long>();
        foreach (var run in expired.Where(r => active.ProcessIdOf(r.Id) is null))
        {
            var taken = await db.Runs
                .Where(r => r.Id == run.Id && r.Status == RunStatus.Running && r.LeaseExpiresAt < now)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTime?)null), cancellationToken);
            if (taken == 0)
            {
                continue;   // renewed, or another host's monitor got there first
            }

            var lastBeat = run.LeaseExpiresAt!.Value - workers.HeartbeatTimeout;
            var reason = $"The worker {run.Worker} stopped sending heartbeats (last at {lastBeat:yyyy-MM-dd HH:mm:ss} UTC; timeout {workers.HeartbeatTimeout.TotalSeconds:0} s); the run was stopped.";
            await TrainingJob.SetFinalAsync(db, run.Id, RunStatus.Failed, reason);
            logger.LogWarning("Run {RunId}: {Reason}", run.Id, reason);
            hub.Publish(new RunUpdate(run.Id, Status: RunStatus.Failed, Error: reason));
            failed.Add(run.Id);
            await resumer.ResumeInterruptedAsync(run.Id, cancellationToken);
        }

        return failed;
    }
}
