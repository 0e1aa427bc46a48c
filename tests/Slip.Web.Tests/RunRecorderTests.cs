using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Slip.Data;
using Slip.Training;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>The worker's recorder against a store that loses a commit's reply, and against a lease that passed to another worker.</summary>
public sealed class RunRecorderTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"slip-recorder-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task ABatchWhoseCommitReplyWasLostIsRetriedWithoutStoringItsPointsTwice()
    {
        var lose = new LoseCommitReplies();
        var (factory, runId) = await RunningRunAsync(leaseOwner: null, lose);

        var hub = new RunEventHub();
        var published = new List<MetricSample>();
        using var subscription = hub.Subscribe(runId, u => published.AddRange(u.Metrics ?? []));
        lose.Remaining = 1;
        var recorder = new RunRecorder(factory, hub, NullLogger.Instance, runId, (_, _) => Task.CompletedTask, CancellationToken.None);
        for (var step = 1; step <= 3; step++)
        {
            await recorder.PostAsync(new TrainerEvent { Type = TrainerEvent.Metrics, Step = step, TotalSteps = 3, Values = new() { ["loss"] = 4.0 / step, ["clip_acc"] = step } });
        }

        await recorder.CompleteAsync();

        Assert.Equal(1, lose.Lost);   // the first batch's commit reached the store and its reply was lost: it was retried
        await using (var db = await factory.CreateDbContextAsync())
        {
            var points = (await MetricQueries.RunAsync(db, runId)).Select(p => new { p.Name, p.Step }).ToList();
            Assert.Equal(6, points.Count);
            Assert.Equal(6, points.Distinct().Count());
            Assert.Equal(3, await db.MetricSummaries.Where(s => s.RunId == runId && s.Name == "loss").Select(s => s.Count).SingleAsync());
            Assert.Equal(3, await db.Runs.Where(r => r.Id == runId).Select(r => r.Step).SingleAsync());
        }

        Assert.Equal(6, published.Count);   // pages heard of each point once
    }

    [Fact]
    public async Task AnEventTheStoreRefusesFaultsTheRecorderWithTheReasonWhileAFailingPageDoesNot()
    {
        var (factory, runId) = await RunningRunAsync(leaseOwner: null);
        var hub = new RunEventHub();
        using var failingPage = hub.Subscribe(runId, _ => throw new InvalidOperationException("a page's handler broke"));
        var recorder = new RunRecorder(factory, hub, NullLogger.Instance, runId, (_, _) => Task.CompletedTask, CancellationToken.None);

        await recorder.PostAsync(new TrainerEvent { Type = TrainerEvent.Metrics, Step = 1, TotalSteps = 4, Values = new() { ["loss"] = 2 } });
        await recorder.PostAsync(new TrainerEvent { Type = TrainerEvent.Checkpoint, Step = 1, Epoch = 1, Path = "/x/epoch_001.pt" });   // alone in its batch
        await recorder.PostAsync(new TrainerEvent { Type = TrainerEvent.Metrics, Step = -5, TotalSteps = 4, Values = new() { ["loss"] = 1 } });
        await recorder.PostAsync(new TrainerEvent { Type = TrainerEvent.Metrics, Step = 3, TotalSteps = 4, Values = new() { ["loss"] = 0.5 } });
        await recorder.CompleteAsync();

        Assert.True(recorder.Faulted.IsCancellationRequested);
        Assert.IsType<ArgumentOutOfRangeException>(recorder.Fault);
        Assert.Equal(0, recorder.Pending);
        await using var db = await factory.CreateDbContextAsync();
        Assert.Equal([1L], (await MetricQueries.RunAsync(db, runId)).Select(p => p.Step).ToList());   // nothing after the fault
    }

    [Fact]
    public async Task AWorkerWhoseLeaseWasTakenStoresNothingMore()
    {
        var (factory, runId) = await RunningRunAsync(leaseOwner: "host-a/cuda:0");

        var hub = new RunEventHub();
        var published = new List<MetricSample>();
        using var subscription = hub.Subscribe(runId, u => published.AddRange(u.Metrics ?? []));
        TrainerEvent Step(int step) => new() { Type = TrainerEvent.Metrics, Step = step, TotalSteps = 4, Values = new() { ["loss"] = 1.0 / step } };

        var holder = new RunRecorder(factory, hub, NullLogger.Instance, runId, (_, _) => Task.CompletedTask, CancellationToken.None, leaseOwner: "host-a/cuda:0");
        await holder.PostAsync(Step(1));
        await holder.CompleteAsync();
        Assert.False(holder.Fenced);

        // The lease passes to another worker (the first one's heartbeats stopped reaching the store, say).
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "host-b/cuda:1"));
        }

        var checkpointsRecorded = 0;
        var late = new RunRecorder(factory, hub, NullLogger.Instance, runId, (_, _) => Task.FromResult(checkpointsRecorded++), CancellationToken.None, leaseOwner: "host-a/cuda:0");
        await late.PostAsync(new TrainerEvent { Type = TrainerEvent.Checkpoint, Step = 2, Epoch = 1, Path = "/nowhere/epoch_001.pt" });
        await late.PostAsync(Step(2));
        await late.PostAsync(Step(3));
        await late.CompleteAsync();

        Assert.True(late.Fenced);
        Assert.Equal(0, checkpointsRecorded);
        Assert.Equal(0, late.Pending);
        await using (var db = await factory.CreateDbContextAsync())
        {
            Assert.Equal([1L], (await MetricQueries.RunAsync(db, runId)).Select(p => p.Step).ToList());
            Assert.Equal(1, await db.Runs.Where(r => r.Id == runId).Select(r => r.Step).SingleAsync());
        }

        Assert.Equal([1L], published.Select(p => p.Step));   // pages never heard of the refused points
    }

    public void Dispose() => File.Delete(file);

    /// <summary>A migrated store in a temporary file with one running run (holding <paramref name="leaseOwner"/>'s lease).</summary>
    private async Task<(Factory Factory, long RunId)> RunningRunAsync(string? leaseOwner, params IInterceptor[] interceptors)
    {
        var factory = new Factory(new DbContextOptionsBuilder<SqliteSlipDbContext>().UseSqlite($"Data Source={file};Pooling=false").AddInterceptors(interceptors).Options);
        await using var db = await factory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        var run = new Run { Name = "recorded", ConfigJson = SlipAppFactory.TinyRun().ToJson(), Status = RunStatus.Running, CreatedAt = DateTime.UtcNow, LeaseOwner = leaseOwner };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return (factory, run.Id);
    }

    /// <summary>Lets the next commits reach the database, then fails as if their reply never arrived.</summary>
    private sealed class LoseCommitReplies : DbTransactionInterceptor
    {
        public int Remaining { get; set; }

        public int Lost { get; private set; }

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (Remaining > 0)
            {
                Remaining--;
                Lost++;
                throw new TimeoutException("Timeout while reading the reply to COMMIT.");
            }

            return Task.CompletedTask;
        }
    }

    private sealed class Factory(DbContextOptions<SqliteSlipDbContext> options) : IDbContextFactory<SlipDbContext>
    {
        public SlipDbContext CreateDbContext() => new SqliteSlipDbContext(options);

        public Task<SlipDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) => Task.FromResult(CreateDbContext());
    }
}
