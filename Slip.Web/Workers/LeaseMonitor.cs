using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Web.Evaluations;
using Slip.Web.Hosting;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Workers;

/// <summary>A run or evaluation the <see cref="LeaseMonitor"/> failed: <paramref name="Kind"/> is <see cref="JobQueue.RunKind"/> or <see cref="JobQueue.EvaluationKind"/>.</summary>
public sealed record LostLease(string Kind, long Id, string Reason);

/// <summary>
/// On every Slip host: finds running runs and evaluations whose lease expired (their worker stopped beating: the
/// machine died, the network dropped, the process hung) and marks them Failed with that reason. Runs are then resumed
/// elsewhere when <see cref="WorkerOptions.ResumeInterrupted"/> is on; evaluations are not (they keep no state to
/// resume from: queue them again). Work whose child process this host is running is left to its heartbeat. Taking the
/// lease away first makes a worker that comes back stop its child rather than work on.
/// </summary>
public sealed class LeaseMonitor(
    IDbContextFactory<SlipDbContext> dbFactory,
    ActiveTrainers active,
    RunResumer resumer,
    RunEventHub hub,
    IOptions<SlipOptions> options,
    TimeProvider clock,
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

    /// <summary>Fails (and resumes, if configured and a run) everything whose lease has expired; returns what it failed.</summary>
    public async Task<IReadOnlyList<LostLease>> SweepAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var lost = new List<LostLease>();
        foreach (var (id, reason) in await TakeExpiredAsync<Run>(db, "run was stopped", cancellationToken))
        {
            await TrainingJob.SetFinalAsync(db, id, RunStatus.Failed, reason);
            logger.LogWarning("Run {RunId}: {Reason}", id, reason);
            hub.Publish(new RunUpdate(id, Status: RunStatus.Failed, Error: reason));
            lost.Add(new LostLease(JobQueue.RunKind, id, reason));
            await resumer.ResumeInterruptedAsync(id, cancellationToken);
        }

        foreach (var (id, reason) in await TakeExpiredAsync<Evaluation>(db, "evaluation was stopped. Evaluations are not resumed: queue it again", cancellationToken))
        {
            await EvaluationJob.SetFinalAsync(db, id, RunStatus.Failed, reason);
            logger.LogWarning("Evaluation {EvaluationId}: {Reason}", id, reason);
            var runId = await db.Evaluations.Where(e => e.Id == id).Select(e => e.RunId).SingleAsync(cancellationToken);
            hub.Publish(new RunUpdate(runId, EvaluationChanged: true));
            lost.Add(new LostLease(JobQueue.EvaluationKind, id, reason));
        }

        return lost;
    }

    /// <summary>
    /// Takes away the lease of every running <typeparamref name="TRow"/> whose lease expired and whose child this host
    /// does not run, each with one conditional update (another host's monitor, or a late renewal, may get there
    /// first); returns those taken, with the reason they fail.
    /// </summary>
    private async Task<List<(long Id, string Reason)>> TakeExpiredAsync<TRow>(SlipDbContext db, string consequence, CancellationToken cancellationToken)
        where TRow : class, ILeasedWork
    {
        var timeout = options.Value.Workers.HeartbeatTimeout;
        var now = await StoreClock.NowAsync(db, clock, cancellationToken);
        var expired = await db.Set<TRow>().AsNoTracking()
            .Where(r => r.Status == RunStatus.Running && r.LeaseExpiresAt != null && r.LeaseExpiresAt < now)
            .Select(r => new { r.Id, r.Worker, r.LeaseExpiresAt })
            .ToListAsync(cancellationToken);
        var taken = new List<(long, string)>();
        foreach (var row in expired.Where(r => active.ProcessIdOf<TRow>(r.Id) is null))
        {
            var took = await db.Set<TRow>()
                .Where(r => r.Id == row.Id && r.Status == RunStatus.Running && r.LeaseExpiresAt < now)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTime?)null), cancellationToken);
            if (took == 1)
            {
                var lastBeat = row.LeaseExpiresAt!.Value - timeout;
                taken.Add((row.Id, $"The worker {row.Worker} stopped sending heartbeats (last at {lastBeat:yyyy-MM-dd HH:mm:ss} UTC; timeout {timeout.TotalSeconds:0} s); the {consequence}."));
            }
        }

        return taken;
    }
}
