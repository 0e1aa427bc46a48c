using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

/// <summary>Faults a long run must survive: a killed trainer, a restarted host, a worker that stops beating, corrupted state.</summary>
[Collection("hosts")]
public sealed class ResumeTests
{
    private static readonly long[] AllLossSteps = [2, 4, 6, 8, 10, 12, 14, 16];

    /// <summary>Two epochs of 8 steps; a first attempt waits after step 12 (mid-epoch 2, after the epoch 1 checkpoint at step 8).</summary>
    private static SlipAppFactory PausingApp(bool workers = false, string? dataDirectory = null, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { [$"Slip:TrainerEnvironment:{TrainerFaults.PauseAfterStepVariable}"] = "12" };
        if (dataDirectory is not null)
        {
            settings["Slip:DataDirectory"] = dataDirectory;
        }

        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return new SlipAppFactory(workers, settings);
    }

    private static async Task<long> LaunchAsync(SlipAppFactory app) =>
        (await app.Get<RunLauncher>().LaunchAsync("resumable", SlipAppFactory.TinyRun(epochs: 2))).RunId!.Value;

    [Fact]
    public async Task AKilledTrainerFailsWithTheSignalAndResumeFinishesTheSameRunWithoutCountingAnyStepTwice()
    {
        await using var app = PausingApp();
        _ = app.Server;
        var runId = await LaunchAsync(app);
        var job = app.Get<TrainingJob>().RunAsync(runId, null, CancellationToken.None);
        await app.WaitForRunAsync(runId, r => r.Step >= 12, TimeSpan.FromSeconds(90));
        System.Diagnostics.Process.GetProcessById(app.Get<ActiveTrainers>().ProcessIdOf(runId)!.Value).Kill();   // SIGKILL
        await job.WaitAsync(TimeSpan.FromSeconds(30));

        var failed = await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero);
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Contains("killed by signal 9", failed.Error);

        var resumed = await app.Get<RunResumer>().ResumeAsync(runId);
        Assert.Equal(2, resumed.Attempt);
        await using (var db = await app.DbAsync())
        {
            // The resume state is the epoch 1 checkpoint's (step 8): the lost attempt's steps 10 and 12 move aside.
            var queued = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            Assert.Equal((RunStatus.Queued, 8L), (queued.Status, queued.Step));
            Assert.Equal([10L, 12], await db.SupersededMetricPoints.Where(p => p.RunId == runId && p.Name == "loss").Select(p => p.Step).OrderBy(s => s).ToListAsync());
            Assert.DoesNotContain(await MetricQueries.RunAsync(db, runId), p => p.Step > 8);
        }

        await app.Get<TrainingJob>().RunAsync(runId, null, CancellationToken.None);

        await using var after = await app.DbAsync();
        var run = await after.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.Equal((RunStatus.Succeeded, 16L, 2), (run.Status, run.Step, run.Attempt));
        Assert.Equal(AllLossSteps, (await MetricQueries.SeriesAsync(after, runId, "loss")).Select(p => p.Step).Order().ToList());
        var summary = await after.MetricSummaries.AsNoTracking().SingleAsync(s => s.RunId == runId && s.Name == "loss");
        Assert.Equal((8L, 16L), (summary.Count, summary.LastStep));
        Assert.Equal([1, 2], await after.Checkpoints.Where(c => c.RunId == runId).OrderBy(c => c.Epoch).Select(c => c.Epoch).ToListAsync());

        var attempts = await Slip.Web.Runs.RunPageQuery.AttemptsAsync(after, runId);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(("Failed", 0L), (attempts[0].Status, attempts[0].FromStep));
        Assert.Contains("killed by signal 9", attempts[0].Error);
        Assert.True(attempts[0].SupersededPoints >= 2);
        Assert.Equal(("Succeeded", 8L, 0L), (attempts[1].Status, attempts[1].FromStep, attempts[1].SupersededPoints));
    }

    [Fact]
    public async Task AHostStoppedMidRunHandsTheRunOnAndTheNextStartFinishesItFromWhereItStopped()
    {
        var data = Directory.CreateTempSubdirectory("slip-restart-").FullName;
        long runId;
        List<(string, long, double)> acknowledged;
        await using (var first = PausingApp(workers: true, dataDirectory: data))
        {
            _ = first.Server;
            runId = await LaunchAsync(first);
            await first.WaitForRunAsync(runId, r => r.Step >= 12, TimeSpan.FromSeconds(90));
            await using var db = await first.DbAsync();
            acknowledged = (await MetricQueries.RunAsync(db, runId)).Select(p => (p.Name, p.Step, p.Value)).ToList();
        }

        await using (var stopped = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:DataDirectory"] = data }))
        {
            // The stopping host asked its trainer to save its state (at step 12) and queued the run again.
            var run = await stopped.WaitForRunAsync(runId, _ => true, TimeSpan.Zero);
            Assert.Equal((RunStatus.Queued, 12L), (run.Status, run.Step));
        }

        await using var second = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?> { ["Slip:DataDirectory"] = data });
        _ = second.Server;
        var done = await second.WaitForRunAsync(runId, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(120));
        Assert.Equal(RunStatus.Succeeded, done.Status);
        await using var after = await second.DbAsync();
        var points = (await MetricQueries.RunAsync(after, runId)).Select(p => (p.Name, p.Step, p.Value)).ToList();
        Assert.All(acknowledged, p => Assert.Contains(p, points));   // nothing stored before the restart was lost
        Assert.Equal(AllLossSteps, points.Where(p => p.Item1 == "loss").Select(p => p.Item2).Order());
        var attempts = await Slip.Web.Runs.RunPageQuery.AttemptsAsync(after, runId);
        Assert.Equal(["Failed", "Succeeded"], attempts.Select(a => a.Status));
        Assert.Contains("shut down", attempts[0].Error);
        Assert.Equal(12L, attempts[1].FromStep);
    }

    [Fact]
    public async Task LeasesKeepALiveRunAndAWorkerThatStopsBeatingLosesItsRunWithTheReason()
    {
        await using var app = PausingApp(more: new() { ["Slip:Workers:HeartbeatTimeoutSeconds"] = "2" });
        _ = app.Server;
        var monitor = app.Get<LeaseMonitor>();

        // A run on another host whose lease ran out is failed with the reason and queued again.
        var elsewhere = await app.AddRunAsync("elsewhere", RunStatus.Running, r =>
        {
            r.Worker = r.LeaseOwner = "gpu-host-7/cuda:1";
            r.LeaseExpiresAt = DateTime.UtcNow.AddSeconds(-1);
        });

        // A run this host trains keeps its lease across many timeouts.
        var runId = await LaunchAsync(app);
        var job = app.Get<TrainingJob>().RunAsync(runId, null, CancellationToken.None);
        await app.WaitForRunAsync(runId, r => r.Step >= 12, TimeSpan.FromSeconds(90));
        var firstLease = (await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero)).LeaseExpiresAt;
        await Task.Delay(TimeSpan.FromSeconds(5));   // the monitor sweeps every 0.5 s
        Assert.Empty(await monitor.SweepAsync());
        var live = await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero);
        Assert.Equal(RunStatus.Running, live.Status);
        Assert.True(live.LeaseExpiresAt > firstLease, "the heartbeat did not move the lease");

        var lost = await app.WaitForRunAsync(elsewhere, _ => true, TimeSpan.Zero);
        Assert.Equal(RunStatus.Queued, lost.Status);   // failed, then resumed (a run with no saved state starts again)
        await using (var db = await app.DbAsync())
        {
            var attempt = await db.RunAttempts.AsNoTracking().SingleAsync(a => a.RunId == elsewhere);
            Assert.Equal(RunStatus.Failed, attempt.Status);
            Assert.Contains("gpu-host-7/cuda:1 stopped sending heartbeats", attempt.Error);
        }

        // Taking the lease away (as another host's monitor would after an outage) stops this worker's trainer.
        var pid = app.Get<ActiveTrainers>().ProcessIdOf(runId)!.Value;
        await using (var db = await app.DbAsync())
        {
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "someone-else/cpu"));
        }

        await job.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(Processes.HasExited(pid), "the trainer of a lost lease is still running");
        Assert.Equal("someone-else/cpu", (await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero)).LeaseOwner);   // the record was left to its new owner
    }

    [Fact]
    public async Task ACheckpointWrittenButNeverRecordedIsRecordedWhenTheRunResumes()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await LaunchAsync(app);
        await app.Get<TrainingJob>().RunAsync(runId, null, CancellationToken.None);
        Checkpoint lost;
        await using (var db = await app.DbAsync())
        {
            // The host died after the trainer wrote epoch 1's file, before the worker recorded it.
            lost = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.RunId == runId && c.Epoch == 1);
            await db.Checkpoints.Where(c => c.Id == lost.Id).ExecuteDeleteAsync();
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed));
        }

        Assert.True((await app.Get<RunResumer>().ResumeAsync(runId)).Succeeded);

        await using var after = await app.DbAsync();
        var found = await after.Checkpoints.AsNoTracking().SingleAsync(c => c.RunId == runId && c.Epoch == 1);
        Assert.Equal((lost.FilePath, lost.Step, lost.Bytes, lost.Sha256), (found.FilePath, found.Step, found.Bytes, found.Sha256));
        Assert.Contains(app.Logs, l => l.Contains("written by an attempt that ended before recording them", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResumeRefusesACorruptedSavedStateOrCheckpointAndSaysWhy()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await LaunchAsync(app);
        await app.Get<TrainingJob>().RunAsync(runId, null, CancellationToken.None);
        var client = app.CreateClient();
        var running = await client.PostAsync($"/api/runs/{runId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        Assert.Contains("only a failed or cancelled run", await running.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/runs/999999/resume", null)).StatusCode);

        await using (var db = await app.DbAsync())
        {
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed));
        }

        var checkpoints = app.Get<Microsoft.Extensions.Options.IOptions<Slip.Web.Hosting.SlipOptions>>().Value.CheckpointDirectory(runId);
        var optimizer = Path.Combine(checkpoints, "resume", "optimizer.pt");
        var bytes = await File.ReadAllBytesAsync(optimizer);
        bytes[^100] ^= 0xFF;
        await File.WriteAllBytesAsync(optimizer, bytes);
        var corrupted = await client.PostAsync($"/api/runs/{runId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, corrupted.StatusCode);
        Assert.Contains("optimizer.pt", (await corrupted.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())!.Detail);
        Assert.Contains("sha256", await corrupted.Content.ReadAsStringAsync());
        bytes[^100] ^= 0xFF;
        await File.WriteAllBytesAsync(optimizer, bytes);

        var last = Path.Combine(checkpoints, "epoch_002.pt");
        await File.WriteAllBytesAsync(last, (await File.ReadAllBytesAsync(last))[..1000]);   // truncated
        var truncated = await client.PostAsync($"/api/runs/{runId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, truncated.StatusCode);
        Assert.Contains("epoch 2 checkpoint", await truncated.Content.ReadAsStringAsync());

        // Nothing changed: still failed, still attempt 1, every point in place.
        await using var after = await app.DbAsync();
        var run = await after.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.Equal((RunStatus.Failed, 1), (run.Status, run.Attempt));
        Assert.Equal(AllLossSteps, (await MetricQueries.SeriesAsync(after, runId, "loss")).Select(p => p.Step).Order().ToList());
    }
}
