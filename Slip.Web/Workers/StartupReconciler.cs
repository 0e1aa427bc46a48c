using Hangfire;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Evaluations;
using Slip.Web.Runs;

namespace Slip.Web.Workers;

/// <summary>
/// At start-up: applies migrations, then reconciles runs with the queue so a restart loses none. Runs this host was
/// training when it stopped (it crashed, or was killed: its lease is no longer being renewed, see <see cref="Abandoned"/>)
/// are marked Failed with that reason, and resumed from their
/// saved state when Slip:Workers:ResumeInterrupted is on. Queued runs whose job is gone (always the case with the
/// in-memory queue) are queued again. Runs on other hosts are left to their leases (<see cref="LeaseMonitor"/>).
/// Evaluations are reconciled the same way, except that those this host was running stay Failed: they keep no state to
/// resume from (queue them again); those on other hosts are left to their leases too.
/// </summary>
public sealed class StartupReconciler(
    IDbContextFactory<SlipDbContext> dbFactory,
    IServiceProvider services,
    ILogger<StartupReconciler> logger) : IHostedService
{
    /// <summary>The store's time at start-up: leases are written by its clock (<see cref="StoreClock"/>).</summary>
    private DateTime now;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Migrate first: it creates a missing PostgreSQL database, which Hangfire's storage needs to exist.
        await SlipStore.MigrateAsync(dbFactory, cancellationToken);
        var storage = services.GetRequiredService<JobStorage>();
        var launcher = services.GetRequiredService<RunLauncher>();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        now = await StoreClock.NowAsync(db, services.GetRequiredService<TimeProvider>(), cancellationToken);
        var interrupted = await db.Runs.Where(r => r.Status == RunStatus.Running).ToListAsync(cancellationToken);
        var resumer = services.GetRequiredService<RunResumer>();
        foreach (var run in interrupted.Where(r => Abandoned(r.Worker, r.LeaseExpiresAt)))
        {
            await TrainingJob.SetFinalAsync(db, run.Id, RunStatus.Failed, $"The worker {run.Worker} restarted while this run was training; the run was stopped.");
            logger.LogWarning("Run {RunId} was running when this host stopped; marked Failed.", run.Id);
            await resumer.ResumeInterruptedAsync(run.Id, cancellationToken);
        }

        var monitoring = storage.GetMonitoringApi();
        var queued = await db.Runs.Where(r => r.Status == RunStatus.Queued).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        foreach (var run in queued)
        {
            if (HangfireJobs.IsPending(monitoring, run.JobId))
            {
                continue;
            }

            if (run.CancelRequested)
            {
                await TrainingJob.SetFinalAsync(db, run.Id, RunStatus.Cancelled, null);
                continue;
            }

            await launcher.EnqueueAsync(db, run.Id, cancellationToken);
            logger.LogInformation("Run {RunId} was queued before the restart; queued again.", run.Id);
        }

        await ReconcileEvaluationsAsync(db, monitoring, cancellationToken);
    }

    /// <summary>The same for evaluations: those this host was running fail with the reason (and are not resumed), queued ones whose job is gone are queued again.</summary>
    private async Task ReconcileEvaluationsAsync(SlipDbContext db, Hangfire.Storage.IMonitoringApi monitoring, CancellationToken cancellationToken)
    {
        var launcher = services.GetRequiredService<EvaluationLauncher>();
        var open = await db.Evaluations.Where(e => e.Status == RunStatus.Running || e.Status == RunStatus.Queued).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        foreach (var evaluation in open)
        {
            if (evaluation.Status == RunStatus.Running)
            {
                if (Abandoned(evaluation.Worker, evaluation.LeaseExpiresAt))
                {
                    // Not resumed, unlike a run: an evaluation keeps no state to continue from.
                    await EvaluationJob.SetFinalAsync(db, evaluation.Id, RunStatus.Failed, $"The worker {evaluation.Worker} restarted while this evaluation was running; evaluations are not resumed: queue it again.");
                    logger.LogWarning("Evaluation {EvaluationId} was running when this host stopped; marked Failed.", evaluation.Id);
                }

                continue;
            }

            if (HangfireJobs.IsPending(monitoring, evaluation.JobId))
            {
                continue;
            }

            if (evaluation.CancelRequested)
            {
                await EvaluationJob.SetFinalAsync(db, evaluation.Id, RunStatus.Cancelled, null);
            }
            else
            {
                await launcher.EnqueueAsync(db, evaluation.Id, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Whether work this host's worker was running has been abandoned: its lease was last renewed more than an interval
    /// and a half ago (a live process renews it every interval; expiries are written by the store's clock, read here
    /// too), or it never had one. Another Slip process on this host (a second worker, or a dashboard)
    /// that is alive keeps its work; one that died a moment ago is left to its lease's expiry (<see cref="LeaseMonitor"/>).
    /// </summary>
    private bool Abandoned(string? worker, DateTime? leaseExpiresAt)
    {
        if (worker is not null && !WorkerRegistry.IsThisHost(worker))
        {
            return false;
        }

        var workers = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Slip.Web.Hosting.SlipOptions>>().Value.Workers;
        return leaseExpiresAt is null || leaseExpiresAt < now + workers.HeartbeatTimeout - (1.5 * workers.HeartbeatInterval);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
