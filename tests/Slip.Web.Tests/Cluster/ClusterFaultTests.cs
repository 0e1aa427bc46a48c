using System.Diagnostics;
using System.Net;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Runs;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// The fault matrix: two live worker hosts (separate processes) and a dashboard on a PostgreSQL server of their own;
/// one run per fault, injected mid-run; every run is held to the promises <see cref="FaultOutcome"/> checks, and the
/// table with its totals is written to the test's output (docs/benchmarks.md, "Faults in a cluster", quotes it).
/// </summary>
[Collection("hosts")]
public sealed class ClusterFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task EveryFaultEndsItsRunWithOneTrainerAtATimeAndNoAcknowledgedPointLostOrDoubled()
    {
        await using var cluster = await ClusterHarness.StartAsync(workers: 2);
        var outcomes = new List<FaultOutcome>
        {
            await OutlivesTheInvisibilityTimeoutAsync(cluster),
            await DeliveredTwiceAsync(cluster),
            await CheckpointFilesDeletedAsync(cluster),
            await PostgresRestartedAsync(cluster),
            await WorkerPartitionedAsync(cluster),
            await WorkerHostKilledAsync(cluster),
        };

        output.WriteLine(FaultOutcome.Header);
        outcomes.ForEach(o => output.WriteLine(o.Row()));
        output.WriteLine($"Totals: {outcomes.Count} faults injected into {outcomes.Count} runs on 2 worker hosts; {outcomes.Sum(o => o.LossPoints)} loss points stored "
            + $"({outcomes.Sum(o => o.Acknowledged)} points acknowledged before the faults, {outcomes.Sum(o => o.AcknowledgedLost)} lost, {outcomes.Sum(o => o.Duplicated)} duplicated); "
            + $"most trainers on one run at once: {outcomes.Max(o => o.MostTrainers)}; runs stuck: {outcomes.Count(o => o.Status is RunStatus.Queued or RunStatus.Running)}.");
        foreach (var broken in outcomes.Where(o => o.Violations.Count > 0))
        {
            // What the hosts said about the run, for the failure's diagnosis.
            var logs = cluster.Workers.SelectMany(w => w.Logs.Select(l => $"{w.Name}: {l}")).Concat(cluster.Dashboard.Logs.Select(l => $"dashboard: {l}"));
            output.WriteLine($"Run {broken.RunId}:\n" + string.Join('\n', logs.Where(l => l.Contains($"un {broken.RunId}", StringComparison.Ordinal))));
        }

        Assert.True(outcomes.All(o => o.Violations.Count == 0), string.Join('\n', outcomes.Where(o => o.Violations.Count > 0).Select(o => o.Row())));

        // Each worker host serves its own /metrics to loopback: what its recorders stored is counted there.
        using var probe = new HttpClient();
        var ingested = 0.0;
        foreach (var worker in cluster.Workers.Where(w => !w.HasExited))
        {
            ingested += MetricsEndpointTests.Sample(await probe.GetStringAsync($"{worker.Url}/metrics"), "slip_points_ingested_total") ?? 0;
        }

        Assert.True(ingested > 0, "no live worker host counted a point it stored");
    }

    private static Slip.Training.RunConfig Run() => SlipAppFactory.TinyRun(epochs: 12);

    /// <summary>
    /// Launches a run and waits until it has stored step 4 (where each fault is injected): its id, the worker host
    /// training it, its trainer's pid, and the points stored so far (acknowledged).
    /// </summary>
    private static async Task<(long Id, WorkerHost Holder, int Trainer, List<(string Name, long Step)> Acknowledged)> MidRunAsync(ClusterHarness cluster, string name)
    {
        var id = await cluster.LaunchAsync(name, Run());
        await cluster.RunningPastAsync(id, 4);
        var (holder, trainer) = await cluster.HolderOfAsync(id);
        return (id, holder, trainer, await cluster.PointsAsync(id));
    }

    /// <summary>No fault but time: two idle workers and a run several invisibility timeouts long is trained once.</summary>
    private static async Task<FaultOutcome> OutlivesTheInvisibilityTimeoutAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var id = await cluster.LaunchAsync("outlives the invisibility timeout", Run());
        var outcome = await FaultOutcome.SettleAsync(cluster, $"a run outlives Hangfire's invisibility timeout ({ClusterHarness.InvisibilitySeconds} s) with a second worker idle", id, [], took, Settle);
        var run = await cluster.Dashboard.WaitForRunAsync(id, _ => true, TimeSpan.Zero);
        outcome.Notes.Add($"trained for {(run.FinishedAt - run.StartedAt)?.TotalSeconds:F0} s");
        if (run.FinishedAt - run.StartedAt < TimeSpan.FromSeconds(3 * ClusterHarness.InvisibilitySeconds))
        {
            outcome.Violations.Add($"the run took {run.FinishedAt - run.StartedAt}, not three invisibility timeouts");
        }

        Expect(outcome, RunStatus.Succeeded, attempts: 1);
        return outcome;
    }

    /// <summary>Mid-run, the run's job is delivered again: requeued in Hangfire, and enqueued a second time.</summary>
    private static async Task<FaultOutcome> DeliveredTwiceAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var (id, holder, _, acknowledged) = await MidRunAsync(cluster, "delivered twice");
        var run = await cluster.Dashboard.WaitForRunAsync(id, _ => true, TimeSpan.Zero);
        var jobs = cluster.Dashboard.Get<IBackgroundJobClient>();
        Assert.True(jobs.Requeue(run.JobId!), "the run's job could not be requeued");
        jobs.Enqueue<TrainingJob>(j => j.RunAsync(id, null, CancellationToken.None));
        var outcome = await FaultOutcome.SettleAsync(cluster, "the run's job is requeued and enqueued again mid-run", id, acknowledged, took, Settle);
        Expect(outcome, RunStatus.Succeeded, attempts: 1);
        outcome.Notes.Add($"deliveries that started nothing: {cluster.Workers.Sum(w => w.Logs.Count(l => l.Contains($"Run {id} was not started by this delivery", StringComparison.Ordinal)))}");
        var other = cluster.Workers.Single(w => w != holder && !w.HasExited);
        if (!other.Logged($"Run {id} was not started by this delivery"))
        {
            outcome.Violations.Add($"{other.Name} never logged a delivery it did not start");
        }

        return outcome;
    }

    /// <summary>Each epoch's checkpoint file is deleted the moment it appears in the run's folder.</summary>
    private static async Task<FaultOutcome> CheckpointFilesDeletedAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var id = await cluster.LaunchAsync("checkpoints deleted", Run());
        var folder = cluster.FolderOf(id);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var deleter = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "epoch_*.pt") : [])
                {
                    File.Delete(file);
                    deleted.Add(Path.GetFileName(file));
                }

                await Task.Delay(5);
            }
        });
        var outcome = await FaultOutcome.SettleAsync(cluster, "every checkpoint file is deleted as soon as it is written", id, [], took, Settle);
        await stop.CancelAsync();
        await deleter;
        Expect(outcome, RunStatus.Succeeded, attempts: 1);
        var present = (await cluster.Dashboard.ReadAsync(db => db.Checkpoints.Where(c => c.RunId == id).Select(c => c.FilePath).ToListAsync())).Count(File.Exists);
        outcome.Notes.Add($"{deleted.Count} files deleted, {present} recorded checkpoints on disk");
        if (deleted.Count != 12 || present != 0)
        {
            outcome.Violations.Add($"{deleted.Count} checkpoint files deleted of 12, {present} recorded checkpoints still on disk");
        }

        return outcome;
    }

    /// <summary>PostgreSQL stops as in a crash (immediate mode: every connection dropped, no checkpoint) and starts again, recovering from its log.</summary>
    private static async Task<FaultOutcome> PostgresRestartedAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var (id, _, _, acknowledged) = await MidRunAsync(cluster, "through a restart");
        var down = Stopwatch.StartNew();
        await cluster.Server.RestartAsync();
        down.Stop();
        var outcome = await FaultOutcome.SettleAsync(cluster, "PostgreSQL crashes and restarts (immediate stop, recovery)", id, acknowledged, took, Settle);
        Expect(outcome, RunStatus.Succeeded, attempts: null);
        outcome.Notes.Add($"the server was down {down.Elapsed.TotalSeconds:F1} s");
        return outcome;
    }

    /// <summary>
    /// The worker training the run is cut off from the database for three leases; the dashboard's lease monitor fails
    /// the run and the other worker resumes it. The cut-off worker must have stopped its trainer before that.
    /// </summary>
    private static async Task<FaultOutcome> WorkerPartitionedAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var (id, holder, trainer, acknowledged) = await MidRunAsync(cluster, "partitioned");
        var outage = holder.Proxy.OutageAsync(TimeSpan.FromSeconds(3 * ClusterHarness.LeaseSeconds));
        DateTime? trainerGone = null, runTaken = null;
        HttpStatusCode? readiness = null;
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (!outage.IsCompleted)
        {
            trainerGone ??= !TrainerCensus.IsRunning(trainer) ? DateTime.UtcNow : null;
            if (trainerGone is not null && readiness is null)
            {
                readiness = (await probe.GetAsync($"{holder.Url}/readyz")).StatusCode;   // the worker says it cannot reach the database
            }

            runTaken ??= await cluster.Dashboard.ReadAsync(db => db.Runs.AnyAsync(r => r.Id == id && (r.Status != RunStatus.Running || r.Attempt > 1))) ? DateTime.UtcNow : null;

            await Task.Delay(100);
        }

        await outage;
        var outcome = await FaultOutcome.SettleAsync(cluster, $"the training worker is cut off from PostgreSQL for {3 * ClusterHarness.LeaseSeconds} s (lease {ClusterHarness.LeaseSeconds} s)", id, acknowledged, took, Settle);
        Expect(outcome, RunStatus.Succeeded, attempts: 2);
        outcome.Notes.Add($"its trainer stopped {(runTaken - trainerGone)?.TotalSeconds:F1} s before the run was taken; its /readyz answered {(int?)readiness}");
        if (trainerGone is null || runTaken is null || trainerGone >= runTaken)
        {
            outcome.Violations.Add($"the cut-off worker's trainer was gone at {trainerGone:HH:mm:ss.fff}, the run taken at {runTaken:HH:mm:ss.fff}");
        }

        if (readiness != HttpStatusCode.ServiceUnavailable)
        {
            outcome.Violations.Add($"the cut-off worker's /readyz answered {readiness}, not 503");
        }

        if (!holder.Logged("stopping its process before its lease expires"))
        {
            outcome.Violations.Add($"{holder.Name} never logged that it fenced itself");
        }

        return outcome;
    }

    /// <summary>The worker host training the run is killed (SIGKILL, its trainer not signalled); the other worker resumes the run.</summary>
    private static async Task<FaultOutcome> WorkerHostKilledAsync(ClusterHarness cluster)
    {
        var took = Stopwatch.StartNew();
        var (id, holder, trainer, acknowledged) = await MidRunAsync(cluster, "killed host");
        holder.Kill();
        var clock = Stopwatch.StartNew();
        while (TrainerCensus.IsRunning(trainer) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        var orphanLived = clock.Elapsed;
        var outcome = await FaultOutcome.SettleAsync(cluster, "SIGKILL of the training worker's host process", id, acknowledged, took, Settle);
        Expect(outcome, RunStatus.Succeeded, attempts: 2);
        outcome.Notes.Add($"its trainer was gone {orphanLived.TotalMilliseconds:F0} ms after it");
        if (orphanLived > TimeSpan.FromSeconds(5))
        {
            outcome.Violations.Add($"the killed host's trainer lived {orphanLived.TotalSeconds:F1} s after it");
        }

        return outcome;
    }

    private static void Expect(FaultOutcome outcome, RunStatus status, int? attempts)
    {
        if (outcome.Status != status)
        {
            outcome.Violations.Add($"ended {outcome.Status} ({outcome.Error}), not {status}");
        }

        if (attempts is not null && outcome.Attempts.Count != attempts)
        {
            outcome.Violations.Add($"{outcome.Attempts.Count} attempts, not {attempts}");
        }
    }
}
