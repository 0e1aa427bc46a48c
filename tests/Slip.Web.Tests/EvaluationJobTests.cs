using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Training.Evaluation;
using Slip.Training.Models;
using Slip.Web.Evaluations;
using Slip.Web.Hosting;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

/// <summary>
/// The evaluation job under the same supervision as training (decision 0014): it rides out store faults, is stopped by
/// a cancel, keeps its lease while it runs, stops when the lease is taken away, and is failed with the reason when its
/// worker stops beating.
/// </summary>
[Collection("hosts")]
public sealed class EvaluationJobTests
{
    [Fact]
    public async Task AnEvaluationWhoseStoreWritesFailOnceEachStillSucceedsWithItsResults()
    {
        var faults = new FailFirstEvaluationWrites();
        await using var app = new SlipAppFactory(services: s => s.ConfigureDbContext<SqliteSlipDbContext>(o => o.AddInterceptors(faults)));
        var evaluationId = await QueueAsync(app, new EvaluationOrder { Tasks = [EvalRequest.LinearProbeTask], ProbeEpochs = 5 });
        faults.Armed = true;

        await app.Get<EvaluationJob>().RunAsync(evaluationId, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        // The claim, a progress write and the outcome each failed once as the store went away, and were retried.
        Assert.Equal(["claim", "outcome", "progress"], faults.Failed.Order());
        var evaluation = await EvaluationAsync(app, evaluationId);
        Assert.True(evaluation.Status == RunStatus.Succeeded, evaluation.Error);
        Assert.Equal((1.0, (string?)null, (DateTime?)null), (evaluation.Progress, evaluation.LeaseOwner, evaluation.LeaseExpiresAt));
        var result = Assert.Single(EvaluationResults.Of(evaluation));
        Assert.Equal(EvalRequest.LinearProbeTask, result.Task);
        Assert.InRange(result.Metrics["lp_acc1"], 0, 100);
    }

    [Fact]
    public async Task CancellingARunningEvaluationStopsItsEvaluatorAndFreesItsLease()
    {
        await using var app = new SlipAppFactory();
        var evaluationId = await QueueAsync(app, LongOrder);
        var job = app.Get<EvaluationJob>().RunAsync(evaluationId, null, CancellationToken.None);
        try
        {
            var pid = await EvaluatorAsync(app, evaluationId);

            var asked = DateTime.UtcNow;
            Assert.True(await app.Get<EvaluationLauncher>().CancelAsync(evaluationId));
            await job.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(10), $"cancel took {DateTime.UtcNow - asked}");
            Assert.True(Processes.HasExited(pid), $"evaluator process {pid} is still running");
            var evaluation = await EvaluationAsync(app, evaluationId);
            Assert.Equal((RunStatus.Cancelled, (string?)null, (string?)null), (evaluation.Status, evaluation.LeaseOwner, evaluation.ResultsJson));
            Assert.Null(app.Get<ActiveTrainers>().ProcessIdOf<Evaluation>(evaluationId));
        }
        finally
        {
            await EndAsync(app, evaluationId, job);
        }
    }

    [Fact]
    public async Task ARunningEvaluationKeepsItsLeaseAndItsEvaluatorStopsWhenTheLeaseIsTakenAway()
    {
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:Workers:HeartbeatTimeoutSeconds"] = "2" });
        var evaluationId = await QueueAsync(app, LongOrder);
        var job = app.Get<EvaluationJob>().RunAsync(evaluationId, null, CancellationToken.None);
        try
        {
            var pid = await EvaluatorAsync(app, evaluationId);
            var firstLease = (await EvaluationAsync(app, evaluationId)).LeaseExpiresAt;
            Assert.NotNull(firstLease);

            await Task.Delay(TimeSpan.FromSeconds(4));   // two timeouts: only the heartbeat keeps it
            Assert.Empty(await app.Get<LeaseMonitor>().SweepAsync());
            var live = await EvaluationAsync(app, evaluationId);
            Assert.Equal((RunStatus.Running, WorkerRegistry.HostName + "/cpu"), (live.Status, live.LeaseOwner));
            Assert.True(live.LeaseExpiresAt > firstLease, "the heartbeat did not move the lease");

            // Another host's monitor took the lease after an outage: this worker's evaluator stops and the record is left alone.
            await using (var db = await app.DbAsync())
            {
                await db.Evaluations.Where(e => e.Id == evaluationId).ExecuteUpdateAsync(s => s.SetProperty(e => e.LeaseOwner, "someone-else/cpu"));
            }

            await job.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(Processes.HasExited(pid), "the evaluator of a lost lease is still running");
            var after = await EvaluationAsync(app, evaluationId);
            Assert.Equal((RunStatus.Running, "someone-else/cpu"), (after.Status, after.LeaseOwner));
        }
        finally
        {
            await EndAsync(app, evaluationId, job);
        }
    }

    [Fact]
    public async Task AnEvaluationWhoseWorkerStoppedBeatingIsFailedWithTheReasonAndNotQueuedAgain()
    {
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:Workers:HeartbeatTimeoutSeconds"] = "2" });
        var runId = await app.AddRunAsync("evaluated elsewhere", RunStatus.Succeeded);
        long expiredId, liveId;
        await using (var db = await app.DbAsync())
        {
            Evaluation Running(string worker, DateTime leaseExpires) => new()
            {
                RunId = runId,
                Dataset = "shapes-mini",
                Tasks = EvalRequest.LinearProbeTask,
                Status = RunStatus.Running,
                Worker = worker,
                LeaseOwner = worker,
                LeaseExpiresAt = leaseExpires,
                JobId = "job-1",
                CreatedAt = DateTime.UtcNow,
                StartedAt = DateTime.UtcNow.AddMinutes(-1),
            };
            var expired = Running("gpu-host-7/cuda:1", DateTime.UtcNow.AddSeconds(-1));
            var live = Running("gpu-host-8/cuda:0", DateTime.UtcNow.AddMinutes(5));
            db.Evaluations.AddRange(expired, live);
            await db.SaveChangesAsync();
            (expiredId, liveId) = (expired.Id, live.Id);
        }

        var lost = Assert.Single(await app.Get<LeaseMonitor>().SweepAsync());

        Assert.Equal((JobQueue.EvaluationKind, expiredId), (lost.Kind, lost.Id));
        var failed = await EvaluationAsync(app, expiredId);
        Assert.Equal((RunStatus.Failed, (string?)null, "job-1"), (failed.Status, failed.LeaseOwner, failed.JobId));   // failed, not queued again
        Assert.Contains("gpu-host-7/cuda:1 stopped sending heartbeats", failed.Error);
        Assert.Contains("Evaluations are not resumed", failed.Error);
        Assert.NotNull(failed.FinishedAt);
        Assert.Equal((RunStatus.Running, "gpu-host-8/cuda:0"), ((await EvaluationAsync(app, liveId)).Status, (await EvaluationAsync(app, liveId)).LeaseOwner));
        Assert.Equal(RunStatus.Succeeded, (await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero)).Status);   // its run is untouched
    }

    /// <summary>Fine-tuning for the most epochs allowed: minutes of work, so it is still running when a test steps in.</summary>
    private static readonly EvaluationOrder LongOrder = new() { Tasks = [EvalRequest.FineTuneTask], FineTuneEpochs = 1000 };

    /// <summary>
    /// Queues <paramref name="order"/> on a freshly initialised Micro SLIP checkpoint (saved here, with its config
    /// beside it, as the trainer would), with no worker to take it: tests run the job themselves. Returns its id.
    /// </summary>
    private static async Task<long> QueueAsync(SlipAppFactory app, EvaluationOrder order)
    {
        var config = SlipAppFactory.TinyRun();
        var runId = await app.AddRunAsync("evaluated", RunStatus.Succeeded);
        var folder = app.Get<IOptions<SlipOptions>>().Value.CheckpointDirectory(runId);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), config.ToJson());
        CheckpointFile saved;
        using (var model = new SlipModel(config))
        {
            saved = Checkpoints.Save(model, Path.Combine(folder, "epoch_001.pt"));
        }

        long checkpointId;
        await using (var db = await app.DbAsync())
        {
            var checkpoint = new Checkpoint { RunId = runId, Epoch = 1, Step = 8, FilePath = saved.Path, Bytes = saved.Bytes, Sha256 = saved.Sha256, CreatedAt = DateTime.UtcNow };
            db.Checkpoints.Add(checkpoint);
            await db.SaveChangesAsync();
            checkpointId = checkpoint.Id;
        }

        var launch = await app.Get<EvaluationLauncher>().QueueAsync(runId, order with { CheckpointId = checkpointId });
        Assert.Empty(launch.Errors);
        return launch.EvaluationId!.Value;
    }

    /// <summary>Waits until the evaluation runs and its evaluator has reported progress; returns the evaluator's process id.</summary>
    private static async Task<int> EvaluatorAsync(SlipAppFactory app, long evaluationId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var evaluation = await EvaluationAsync(app, evaluationId);
            if (evaluation is { Status: RunStatus.Running, Phase: not null } && app.Get<ActiveTrainers>().ProcessIdOf<Evaluation>(evaluationId) is { } pid)
            {
                return pid;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the evaluation did not start: {evaluation.Status} {evaluation.Error}");
            await Task.Delay(100);
        }
    }

    /// <summary>Kills the evaluator a failed test left running (fine-tuning would go on for minutes) and lets its job end.</summary>
    private static async Task EndAsync(SlipAppFactory app, long evaluationId, Task job)
    {
        if (app.Get<ActiveTrainers>().ProcessIdOf<Evaluation>(evaluationId) is { } pid && !Processes.HasExited(pid))
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }

        await Task.WhenAny(job, Task.Delay(TimeSpan.FromSeconds(30)));
    }

    private static async Task<Evaluation> EvaluationAsync(SlipAppFactory app, long id)
    {
        await using var db = await app.DbAsync();
        return await db.Evaluations.AsNoTracking().SingleAsync(e => e.Id == id);
    }


    /// <summary>
    /// Fails the first claim, the first progress write and the first outcome write of an evaluation (told apart by
    /// the columns they set) as a dropped connection would, once armed; every later try goes through.
    /// </summary>
    private sealed class FailFirstEvaluationWrites : DbCommandInterceptor
    {
        private readonly HashSet<string> failed = [];

        public bool Armed { get; set; }

        public IReadOnlyCollection<string> Failed
        {
            get
            {
                lock (failed)
                {
                    return failed.ToList();
                }
            }
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            var text = command.CommandText;
            var kind = !Armed || !text.Contains("UPDATE \"Evaluations\"", StringComparison.Ordinal) ? null
                : text.Contains("\"ResultsJson\" =", StringComparison.Ordinal) ? "outcome"
                : text.Contains("\"StartedAt\" =", StringComparison.Ordinal) ? "claim"
                : text.Contains("\"Phase\" =", StringComparison.Ordinal) ? "progress"
                : null;
            lock (failed)
            {
                if (kind is not null && failed.Add(kind))
                {
                    throw new TimeoutException($"The store did not answer the evaluation's {kind} write.");
                }
            }

            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
