using Hangfire;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Evaluations;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Workers;

/// <summary>A queued or running job as the queue view shows it: a run's training or an evaluation.</summary>
public sealed record QueueEntry(string Kind, long Id, long RunId, string Name, RunStatus Status, DateTime? QueuedAt, string? Worker, double Progress, TimeSpan? Eta);

/// <summary>
/// A Hangfire server (one per worker device): its name ("host/device:..."), queues, last heartbeat, and the device
/// self-check its host ran when it started (null until one is stored).
/// </summary>
public sealed record WorkerEntry(string Name, IReadOnlyList<string> Queues, int Workers, DateTime? Heartbeat, WorkerCheck? Check = null);

/// <summary>What the queue holds: running jobs and where, queued jobs in the order workers will take them, and the workers.</summary>
public sealed record QueueSnapshot(IReadOnlyList<QueueEntry> Running, IReadOnlyList<QueueEntry> Queued, IReadOnlyList<WorkerEntry> Workers);

/// <summary>The training queue seen and ordered: runs and evaluations share it, in the order their jobs were queued.</summary>
public sealed class JobQueue(IDbContextFactory<SlipDbContext> dbFactory, JobStorage storage, IBackgroundJobClient jobs, RunLauncher runs, EvaluationLauncher evaluations, RunEventHub hub)
{
    public const string RunKind = "run";
    public const string EvaluationKind = "evaluation";

    public async Task<QueueSnapshot> SnapshotAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTime.UtcNow;
        var runs = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running).ToListAsync(ct);
        var evaluations = await db.Evaluations.AsNoTracking().Where(e => e.Status == RunStatus.Queued || e.Status == RunStatus.Running).ToListAsync(ct);
        var runNames = await db.Runs.AsNoTracking().Where(r => evaluations.Select(e => e.RunId).Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Name, ct);
        var entries = runs.Select(r => new QueueEntry(RunKind, r.Id, r.Id, r.Name, r.Status, r.QueuedAt ?? r.CreatedAt, r.Worker, r.Progress, Runs.RunQuery.Eta(r, now)))
            .Concat(evaluations.Select(e => new QueueEntry(EvaluationKind, e.Id, e.RunId, $"evaluation {e.Id} of {runNames.GetValueOrDefault(e.RunId, $"run {e.RunId}")} (epoch {e.Epoch}: {e.Tasks})", e.Status, e.QueuedAt ?? e.CreatedAt, e.Worker, e.Progress, null)))
            .ToList();
        var checks = await db.WorkerChecks.AsNoTracking().ToListAsync(ct);
        var workers = storage.GetMonitoringApi().Servers()
            .Select(s => new WorkerEntry(s.Name, s.Queues.ToList(), s.WorkersCount, s.Heartbeat, CheckOf(s.Name, checks)))
            .OrderBy(w => w.Name, StringComparer.Ordinal).ToList();
        return new QueueSnapshot(
            entries.Where(e => e.Status == RunStatus.Running).OrderBy(e => e.QueuedAt).ToList(),
            entries.Where(e => e.Status == RunStatus.Queued).OrderBy(e => e.QueuedAt).ThenBy(e => e.Id).ToList(),
            workers);
    }

    /// <summary>The self-check stored for a server: its worker name (host/device) is the longest one the server id starts with.</summary>
    private static WorkerCheck? CheckOf(string serverId, List<WorkerCheck> checks) =>
        checks.Where(c => serverId.StartsWith(c.Worker + ":", StringComparison.OrdinalIgnoreCase) || serverId.Equals(c.Worker, StringComparison.OrdinalIgnoreCase))
            .MaxBy(c => c.Worker.Length);

    /// <summary>
    /// Puts a queued job first. The queue is first in, first out, so every queued job is queued again, the chosen one
    /// first and the rest in their order. False if it is not queued.
    /// </summary>
    public async Task<bool> MoveToTopAsync(string kind, long id, CancellationToken ct = default)
    {
        var queued = (await SnapshotAsync(ct)).Queued;
        var chosen = queued.FirstOrDefault(e => e.Kind == kind && e.Id == id);
        if (chosen is null)
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var order = queued.Where(e => e != chosen).Prepend(chosen).ToList();
        var start = DateTime.UtcNow;
        for (var i = 0; i < order.Count; i++)
        {
            var entry = order[i];
            var at = start.AddMilliseconds(i);
            if (entry.Kind == RunKind)
            {
                var old = await db.Runs.Where(r => r.Id == entry.Id).Select(r => r.JobId).SingleOrDefaultAsync(ct);
                await runs.EnqueueAsync(db, entry.Id, ct, at);
                Forget(old);
            }
            else
            {
                var old = await db.Evaluations.Where(e => e.Id == entry.Id).Select(e => e.JobId).SingleOrDefaultAsync(ct);
                await evaluations.EnqueueAsync(db, entry.Id, ct, at);
                Forget(old);
            }
        }

        hub.Publish(new RunUpdate(chosen.RunId, Status: RunStatus.Queued));
        return true;
    }

    /// <summary>
    /// Drops a superseded job that no worker has taken yet. One a worker took meanwhile is left alone: its claim fails
    /// harmlessly if the new job already started the run, or it starts the run and the new job's claim fails.
    /// </summary>
    private void Forget(string? jobId)
    {
        if (HangfireJobs.StateOf(storage.GetMonitoringApi(), jobId) == "Enqueued")
        {
            jobs.Delete(jobId);
        }
    }
}
