using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class TrainingJobTests
{
    private static async Task<long> CreateRunAsync(SlipAppFactory app, RunConfig config)
    {
        await using var db = await app.DbAsync();
        var run = new Run
        {
            Name = "job test",
            Objective = config.Objective.ToString(),
            Model = config.Model,
            Dataset = config.Data.Dataset,
            ConfigJson = config.ToJson(),
            Status = RunStatus.Queued,
            CreatedAt = DateTime.UtcNow,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static Task RunJobAsync(SlipAppFactory app, long runId, CancellationToken token = default) =>
        app.Get<TrainingJob>().RunAsync(runId, null, token);

    [Fact]
    public async Task CompletedJobRecordsStatusMetricsAndACheckpointWhoseHashMatches()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun());

        await RunJobAsync(app, runId);

        await using var db = await app.DbAsync();
        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Null(run.Error);
        Assert.Equal(8, run.Step);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        var names = (await MetricQueries.RunAsync(db, runId)).Select(p => p.Name).Distinct().ToList();
        Assert.Superset(new HashSet<string> { "loss", "clip_loss", "ssl_loss", "clip_acc", "ssl_acc", "lr" }, names.ToHashSet());
        var checkpoint = Assert.Single(await db.Checkpoints.Where(c => c.RunId == runId).ToListAsync());
        Assert.True(File.Exists(checkpoint.FilePath));
        Assert.Equal(new FileInfo(checkpoint.FilePath).Length, checkpoint.Bytes);
        Assert.Equal(Checkpoints.Sha256Of(checkpoint.FilePath), checkpoint.Sha256);
        Assert.StartsWith(app.DataDirectory, checkpoint.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeliveryHangfireAbortsWhileTheHostRunsOnKeepsTrainingUnderItsLease()
    {
        // Hangfire cancels a delivery's token when the job is fetched again elsewhere or deleted, as it does when the
        // server shuts down; only the host stopping may interrupt the run.
        await using var app = new SlipAppFactory(workers: true);
        using var client = app.CreateClient();
        var launched = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("aborted delivery", System.Text.Json.JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(epochs: 8), RunConfig.JsonOptions)));
        var id = (await launched.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt64();
        var running = await app.WaitForRunAsync(id, r => r.Status == RunStatus.Running && r.Step > 0, TimeSpan.FromSeconds(60));

        Assert.True(Hangfire.BackgroundJobClientExtensions.Delete(app.Get<Hangfire.IBackgroundJobClient>(), running.JobId));
        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, TimeSpan.FromSeconds(120));

        Assert.True(run.Status == RunStatus.Succeeded, run.Error);
        Assert.Equal(1, run.Attempt);
        Assert.Contains(app.Logs, l => l.Contains("Hangfire aborted job", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEventTheStoreRefusesFailsTheRunWithTheReasonAndStopsItsTrainerAtOnce()
    {
        // A trainer that reports a negative step, then would go on for two minutes.
        var script = Path.Combine(Path.GetTempPath(), $"slip-bad-trainer-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, """
            #!/bin/sh
            echo '{"type":"started","step":0,"totalSteps":8}'
            echo '{"type":"metrics","step":-5,"totalSteps":8,"values":{"loss":1}}'
            exec sleep 120
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:TrainerPath"] = script });
            _ = app.Server;
            var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun());
            var clock = System.Diagnostics.Stopwatch.StartNew();

            await RunJobAsync(app, runId).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the job took {clock.Elapsed}: the trainer was not stopped");
            await using var db = await app.DbAsync();
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            Assert.Equal(RunStatus.Failed, run.Status);
            Assert.StartsWith("Storing what the process reported failed, so it was stopped: Metric 'loss' has a negative step (-5).", run.Error);
            Assert.Null(run.LeaseOwner);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task CancelStopsTheTrainerWithinTenSecondsAndRecordsCancelled()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun(epochs: 500));
        var job = RunJobAsync(app, runId);
        var running = await app.WaitForRunAsync(runId, r => r.Step >= 2, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Running, running.Status);
        var pid = app.Get<ActiveTrainers>().ProcessIdOf(runId);
        Assert.NotNull(pid);

        var asked = DateTime.UtcNow;
        Assert.True(await app.Get<RunLauncher>().CancelAsync(runId));
        await job.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(10), $"cancel took {DateTime.UtcNow - asked}");
        var run = await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.False(ProcessIsAlive(pid.Value), $"trainer process {pid} is still running");
    }

    [Fact]
    public async Task SecondDeliveryOfTheSameJobStartsNoSecondTrainer()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun());

        await Task.WhenAll(RunJobAsync(app, runId), RunJobAsync(app, runId));

        await using var db = await app.DbAsync();
        Assert.Equal(RunStatus.Succeeded, (await db.Runs.SingleAsync(r => r.Id == runId)).Status);
        var lossSteps = (await MetricQueries.SeriesAsync(db, runId, "loss")).Select(p => p.Step).ToList();
        Assert.Equal(lossSteps.Distinct().Count(), lossSteps.Count);
        Assert.Single(await db.Checkpoints.Where(c => c.RunId == runId).ToListAsync());
    }

    [Fact]
    public async Task NonFiniteLossFailsTheRunWithAReadableReasonAndKeepsEarlierMetrics()
    {
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?>
        {
            [$"Slip:TrainerEnvironment:{TrainerFaults.NanAtStepVariable}"] = "5",
        });
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun());

        await RunJobAsync(app, runId);

        await using var db = await app.DbAsync();
        var run = await db.Runs.SingleAsync(r => r.Id == runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("NaN at step 5", run.Error);
        var steps = (await MetricQueries.SeriesAsync(db, runId, "loss")).Select(p => p.Step).ToList();
        Assert.Equal([2L, 4], steps.Order());
    }

    [Fact]
    public async Task KilledTrainerFailsTheRunWithTheSignalAndKeepsItsMetrics()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun(epochs: 500));
        var job = RunJobAsync(app, runId);
        await app.WaitForRunAsync(runId, r => r.Step >= 4, TimeSpan.FromSeconds(60));
        var pid = app.Get<ActiveTrainers>().ProcessIdOf(runId);
        Assert.NotNull(pid);

        System.Diagnostics.Process.GetProcessById(pid.Value).Kill();
        await job.WaitAsync(TimeSpan.FromSeconds(30));

        await using var db = await app.DbAsync();
        var run = await db.Runs.SingleAsync(r => r.Id == runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("killed by signal 9", run.Error);
        Assert.True((await MetricQueries.SeriesAsync(db, runId, "loss")).Count >= 1);
    }

    [Fact]
    public async Task TrainersGetJemallocOnlyWhenAskedFor()
    {
        foreach (var preload in new[] { false, true })
        {
            await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:PreloadJemalloc"] = preload ? "true" : "false" });
            _ = app.Server;
            var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun(epochs: 500));
            var job = RunJobAsync(app, runId);
            await app.WaitForRunAsync(runId, r => r.Step >= 1, TimeSpan.FromSeconds(60));
            var pid = app.Get<ActiveTrainers>().ProcessIdOf(runId)!.Value;
            var environment = await File.ReadAllTextAsync($"/proc/{pid}/environ");
            await app.Get<RunLauncher>().CancelAsync(runId);
            await job.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(preload, environment.Contains("LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task MissingTrainerFailsTheRunWithWhereItLooked()
    {
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:TrainerPath"] = "/nonexistent/Slip.Training.dll" });
        _ = app.Server;
        var runId = await CreateRunAsync(app, SlipAppFactory.TinyRun());

        await RunJobAsync(app, runId);

        var run = await app.WaitForRunAsync(runId, _ => true, TimeSpan.Zero);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("/nonexistent/Slip.Training.dll", run.Error);
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
