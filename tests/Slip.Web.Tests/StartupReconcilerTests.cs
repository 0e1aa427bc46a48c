using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class StartupReconcilerTests
{
    [Fact]
    public async Task RestartRequeuesQueuedRunsAndEvaluationsAndFailsThoseThisHostAbandonedListingTheirUnrecordedCheckpointsButNotALiveSiblingProcesses()
    {
        var data = Directory.CreateTempSubdirectory("slip-restart-").FullName;
        var settings = new Dictionary<string, string?> { ["Slip:DataDirectory"] = data, ["Slip:Workers:ResumeInterrupted"] = "false" };
        long queuedId, runningId, elsewhereId, siblingId;
        await using (var first = new SlipAppFactory(extra: settings))
        {
            _ = first.Server;
            await using var db = await first.DbAsync();
            Run Make(string name, RunStatus status, string? worker) => new()
            {
                Name = name,
                Objective = "Slip",
                Model = "Tiny",
                Dataset = "shapes-mini",
                ConfigJson = SlipAppFactory.TinyRun().ToJson(),
                Status = status,
                Worker = worker,
                CreatedAt = DateTime.UtcNow,
                JobId = "gone",
            };
            var queued = Make("queued", RunStatus.Queued, null);
            var running = Make("running", RunStatus.Running, WorkerRegistry.ServerName("cpu") + ":1:abc");
            var elsewhere = Make("elsewhere", RunStatus.Running, "another-host/cuda:0:1:abc");
            // Another Slip process on this host, alive: it renewed its lease a moment ago.
            var sibling = Make("sibling", RunStatus.Running, WorkerRegistry.ServerName("cuda:1") + ":2:def");
            sibling.LeaseOwner = sibling.Worker;
            sibling.LeaseExpiresAt = DateTime.UtcNow.AddSeconds(60);
            running.TotalSteps = 8;
            db.Runs.AddRange(queued, running, elsewhere, sibling);
            await db.SaveChangesAsync();
            (queuedId, runningId, elsewhereId, siblingId) = (queued.Id, running.Id, elsewhere.Id, sibling.Id);
            // The abandoned run's attempt wrote its epoch checkpoint, and its host died before recording it.
            var folder = first.Get<Microsoft.Extensions.Options.IOptions<Slip.Web.Hosting.SlipOptions>>().Value.CheckpointDirectory(running.Id);
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, "epoch_001.pt"), [1, 2, 3]);
            Evaluation Evaluate(RunStatus status, string? worker) => new() { RunId = running.Id, Dataset = "shapes-mini", Tasks = "linear_probe", Status = status, Worker = worker, JobId = "gone", CreatedAt = DateTime.UtcNow };
            db.Evaluations.AddRange(Evaluate(RunStatus.Queued, null), Evaluate(RunStatus.Running, WorkerRegistry.ServerName("cpu") + ":1:abc"), Evaluate(RunStatus.Running, "another-host/cuda:0:1:abc"));
            await db.SaveChangesAsync();
        }

        await using var second = new SlipAppFactory(extra: settings);
        _ = second.Server;
        await using var after = await second.DbAsync();
        var runs = await after.Runs.AsNoTracking().ToDictionaryAsync(r => r.Id);
        Assert.Equal(RunStatus.Queued, runs[queuedId].Status);
        Assert.NotEqual("gone", runs[queuedId].JobId);
        Assert.Equal(RunStatus.Failed, runs[runningId].Status);
        Assert.Contains("restarted", runs[runningId].Error);
        var orphan = Assert.Single(await after.Checkpoints.AsNoTracking().Where(c => c.RunId == runningId).ToListAsync());   // listed though the run is not resumed
        Assert.Equal((1, 8L, 3L), (orphan.Epoch, orphan.Step, orphan.Bytes));
        Assert.Equal(RunStatus.Running, runs[elsewhereId].Status);
        Assert.Equal(RunStatus.Running, runs[siblingId].Status);   // this host's, but its process is alive: left to its lease

        // Evaluations likewise: the queued one has a new job, the one this host ran failed with the reason, the other host's is left alone.
        var evaluations = await after.Evaluations.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
        Assert.Equal([RunStatus.Queued, RunStatus.Failed, RunStatus.Running], evaluations.Select(e => e.Status));
        Assert.NotEqual("gone", evaluations[0].JobId);
        Assert.Contains("restarted", evaluations[1].Error);
    }
}
