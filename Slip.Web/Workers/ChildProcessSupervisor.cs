using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// The one skeleton of a job that runs the trainer CLI as a child process, for training and evaluation alike (decision
/// 0014): claims the row with a lease (so a second delivery starts nothing), starts the child on the worker's device,
/// stops it when the row is cancelled or the worker shuts down, reads its events and hands them to the job's recorder
/// (which rides out a store outage), renews the lease while the child runs and stops the child when the lease is lost,
/// and writes the outcome only while it still holds the lease. What differs between the jobs is their
/// <see cref="ISupervisedWork{TRow}"/>.
/// </summary>
public sealed class ChildProcessSupervisor(
    IDbContextFactory<SlipDbContext> dbFactory,
    WorkerRegistry workers,
    ActiveTrainers active,
    IOptions<SlipOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ChildProcessSupervisor> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="work"/> on the worker that picked up the job (<paramref name="context"/>; this host's cpu
    /// without one). A Hangfire delivery's <paramref name="cancellation"/> fires when its server shuts down, and also when
    /// Hangfire aborts the delivery (the job was fetched again by another server, or deleted from its dashboard): only
    /// the host stopping interrupts the work, which otherwise goes on while it holds the lease (the lease, not the queue,
    /// says who runs it). Called without a context (a test), the token is the shutdown.
    /// </summary>
    public async Task RunAsync<TRow>(ISupervisedWork<TRow> work, PerformContext? context, CancellationToken cancellation)
        where TRow : class, ILeasedWork
    {
        var shutdown = context is null ? cancellation : lifetime.ApplicationStopping;
        using var aborted = context is null ? default : cancellation.Register(() =>
        {
            if (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                logger.LogWarning("{Work}: Hangfire aborted job {Job} on this worker (fetched again elsewhere, or deleted) while the host runs on; the work goes on under its lease.", work.Name, context?.BackgroundJob?.Id);
            }
        });
        var worker = context?.ServerId ?? $"{WorkerRegistry.HostName}/cpu";
        if (!await ClaimAsync(work, worker, shutdown))
        {
            return;
        }

        work.Publish(RunStatus.Running, null);
        var outcome = await SuperviseAsync(work, worker, workers.DeviceOf(context?.ServerId), shutdown);
        if (outcome.LeaseLost || !await WriteOutcomeAsync(work, outcome, worker))
        {
            // Failed (and perhaps started again elsewhere) without this worker: its record is not ours to write.
            logger.LogWarning("{Work}: {Error}", work.Name, outcome.LeaseLost ? outcome.Error : $"the worker {worker} no longer held its lease when it ended ({outcome.Status}); its outcome was not written.");
            return;
        }

        logger.LogInformation("{Work} finished: {Status} {Error}", work.Name, outcome.Status, outcome.Error);
        work.Publish(outcome.Status, outcome.Error);
        await work.AfterOutcomeAsync(outcome);
    }

    /// <summary>
    /// The job's atomic claim, retried through a store outage; when it fails, a queued row whose cancel was asked for
    /// is ended Cancelled. False when nothing is to be started.
    /// </summary>
    private async Task<bool> ClaimAsync<TRow>(ISupervisedWork<TRow> work, string worker, CancellationToken shutdown)
        where TRow : class, ILeasedWork
    {
        var claimed = false;
        await StoreRetry.RunAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var now = await StoreClock.NowAsync(db, clock);
            claimed = await work.ClaimAsync(db, new LeaseClaim(worker, now, now + options.Value.Workers.HeartbeatTimeout));
        }, logger, $"{work.Name}'s claim", shutdown);
        if (claimed)
        {
            return true;
        }

        string? status = null;
        var cancelled = false;
        await StoreRetry.RunAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var current = await db.Set<TRow>().AsNoTracking().Where(r => r.Id == work.Id)
                .Select(r => new { r.Status, r.CancelRequested }).SingleOrDefaultAsync();
            status = current?.Status.ToString();
            // Ending a queued row whose cancel was asked for is idempotent: a retry after a lost reply writes the same.
            cancelled = current is { Status: RunStatus.Queued, CancelRequested: true }
                && await work.WriteOutcomeAsync(db, new SupervisedOutcome(RunStatus.Cancelled, null), leaseOwner: null) == 1;
        }, logger, $"{work.Name}'s state after a claim that failed", shutdown);
        if (cancelled)
        {
            work.Publish(RunStatus.Cancelled, null);
        }

        logger.LogInformation("{Work} was not started by this delivery: it is {Status}.", work.Name, cancelled ? nameof(RunStatus.Cancelled) : status ?? "missing");
        return false;
    }

    /// <summary>Holds the lease from the claim to the outcome, and runs the child in between.</summary>
    private async Task<SupervisedOutcome> SuperviseAsync<TRow>(ISupervisedWork<TRow> work, string worker, string device, CancellationToken shutdown)
        where TRow : class, ILeasedWork
    {
        using var stopBeating = new CancellationTokenSource();
        var lease = new LeaseHeartbeat<TRow>(dbFactory, work.Id, work.Name, worker, options.Value.Workers, clock, logger);
        TrainerProcess? child = null;
        var heartbeat = lease.BeatAsync(() => Volatile.Read(ref child)?.Kill(), stopBeating.Token);
        SupervisedOutcome outcome;
        try
        {
            outcome = await RunChildAsync(work, device, shutdown, lease, started => Volatile.Write(ref child, started));
        }
        finally
        {
            await stopBeating.CancelAsync();
            await heartbeat;
        }

        return lease.Lost
            ? new SupervisedOutcome(RunStatus.Failed, lease.Fenced
                ? $"This worker ({worker}) could not reach the store for most of the lease of {work.Name.ToLowerInvariant()}, so it stopped its process before the lease expired (another worker may resume it)."
                : $"This worker ({worker}) lost the lease of {work.Name.ToLowerInvariant()} (its heartbeats stopped reaching the store, and it was taken away); its process was stopped.", LeaseLost: true)
            : outcome;
    }

    /// <summary>
    /// Prepares and starts the child, watches for a cancel (or the worker's shutdown) while its events are read, and
    /// decides the outcome once it has exited. <paramref name="started"/> tells the heartbeat which process to stop.
    /// </summary>
    private async Task<SupervisedOutcome> RunChildAsync<TRow>(ISupervisedWork<TRow> work, string device, CancellationToken shutdown, LeaseHeartbeat<TRow> lease, Action<TrainerProcess?> started)
        where TRow : class, ILeasedWork
    {
        var settings = options.Value;
        var command = await work.PrepareAsync();
        if (command.Problem is not null)
        {
            return new SupervisedOutcome(RunStatus.Failed, command.Problem);
        }

        TrainerProcess child;
        try
        {
            child = TrainerProcess.Start(settings, command.Arguments, command.WorkingDirectory, device);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new SupervisedOutcome(RunStatus.Failed, ex.Message);
        }

        await using var _ = child;
        started(child);
        try
        {
            if (lease.Lost)
            {
                child.Kill();   // lost while the work was being prepared, before the heartbeat could see a child to stop
            }

            using var registration = active.Add<TRow>(work.Id, child.Id);
            using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            var watcher = child.StopWhenAsync(() => IsCancelRequestedAsync<TRow>(work.Id), TimeSpan.FromSeconds(settings.CancelGraceSeconds), stopWatching.Token);
            // The recorder gives up on the store when the host stops, or when the lease is lost (nothing it holds may be stored then).
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(shutdown, lease.LostToken);
            var recorder = work.StartRecorder(lease.Worker, giveUp.Token);
            using var stopOnFault = recorder.Faulted.Register(child.Kill);

            var report = await ReadEventsAsync(child, recorder);
            await child.WaitForExitAsync(CancellationToken.None);
            await recorder.CompleteAsync();
            await stopWatching.CancelAsync();
            await watcher;
            if (lease.Lost)
            {
                return new SupervisedOutcome(RunStatus.Failed, null, LeaseLost: true);   // the caller says why
            }

            if (recorder.Fault is { } fault)
            {
                return new SupervisedOutcome(RunStatus.Failed, $"Storing what the process reported failed, so it was stopped: {fault.Message}");
            }

            var cancelRequested = await CancelRequestedAtEndAsync<TRow>(work);
            if (shutdown.IsCancellationRequested && !cancelRequested)
            {
                return new SupervisedOutcome(RunStatus.Failed, $"The worker {lease.Worker} shut down while {work.WhileRunning}.", Interrupted: true);
            }

            if (report.Cancelled || cancelRequested)
            {
                return new SupervisedOutcome(RunStatus.Cancelled, null);
            }

            if (report.Completed && child.ExitCode == 0)
            {
                return await work.CompletedAsync();
            }

            return new SupervisedOutcome(RunStatus.Failed, report.Failure ?? child.DescribeExit());
        }
        finally
        {
            started(null);   // the heartbeat stops no process once this one is disposed
        }
    }

    /// <summary>What the child said about how it ended.</summary>
    private sealed record ChildReport(bool Completed, bool Cancelled, string? Failure);

    /// <summary>
    /// Reads the child's events until its output closes, as fast as they come: what is to be stored goes to the
    /// recorder (progress at most once a second), how it ended is kept.
    /// </summary>
    private static async Task<ChildReport> ReadEventsAsync(TrainerProcess child, EventRecorder recorder)
    {
        string? failure = null;
        var completed = false;
        var cancelled = false;
        var lastProgress = DateTime.MinValue;
        await foreach (var e in child.EventsAsync(CancellationToken.None))
        {
            switch (e.Type)
            {
                case TrainerEvent.Metrics or TrainerEvent.Checkpoint:
                    await recorder.PostAsync(e);
                    break;
                case TrainerEvent.Progress or TrainerEvent.Started when DateTime.UtcNow - lastProgress > ProgressInterval:
                    lastProgress = DateTime.UtcNow;
                    await recorder.PostAsync(e);
                    break;
                case TrainerEvent.Failed:
                    failure = e.Message;
                    break;
                case TrainerEvent.Cancelled:
                    cancelled = true;
                    break;
                case TrainerEvent.Completed:
                    completed = true;
                    await recorder.PostAsync(e);
                    break;
            }
        }

        return new ChildReport(completed, cancelled, failure);
    }

    /// <summary>Whether someone asked to cancel; false while the store is unreachable (the watcher's next poll asks again).</summary>
    private async Task<bool> IsCancelRequestedAsync<TRow>(long id)
        where TRow : class, ILeasedWork
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            return await db.Set<TRow>().Where(r => r.Id == id).Select(r => r.CancelRequested).SingleOrDefaultAsync();
        }
        catch (Exception ex) when (StoreRetry.IsStoreFault(ex))
        {
            return false;
        }
    }

    /// <summary>The same question once the child has exited, where the answer decides the outcome: asked until the store answers.</summary>
    private async Task<bool> CancelRequestedAtEndAsync<TRow>(ISupervisedWork<TRow> work)
        where TRow : class, ILeasedWork
    {
        var requested = false;
        await StoreRetry.RunAsync(async () =>
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            requested = await db.Set<TRow>().Where(r => r.Id == work.Id).Select(r => r.CancelRequested).SingleOrDefaultAsync();
        }, logger, $"{work.Name}'s cancel flag", CancellationToken.None);
        return requested;
    }

    /// <summary>
    /// Writes the outcome through a store outage; false if this worker no longer holds the lease. A retry after a
    /// commit whose reply was lost finds the outcome already there (the row ended as told, its lease free).
    /// </summary>
    private async Task<bool> WriteOutcomeAsync<TRow>(ISupervisedWork<TRow> work, SupervisedOutcome outcome, string worker)
        where TRow : class, ILeasedWork
    {
        var tries = 0;
        var written = false;
        await StoreRetry.RunAsync(async () =>
        {
            var retry = tries++ > 0;
            await using var db = await dbFactory.CreateDbContextAsync();
            written = await work.WriteOutcomeAsync(db, outcome, worker) == 1
                || (retry && await db.Set<TRow>().AnyAsync(r => r.Id == work.Id && r.LeaseOwner == null && r.Status == outcome.Status && r.Error == outcome.Error));
        }, logger, $"{work.Name}'s outcome", CancellationToken.None);
        return written;
    }
}
