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
        var names = await db.MetricPoints.Where(p => p.RunId == runId).Select(p => p.Name).Distinct().ToListAsync();
        Assert.Superset(new HashSet<string> { "loss", "clip_loss", "ssl_loss", "clip_acc", "ssl_acc", "lr" }, names.ToHashSet());
        var checkpoint = Assert.Single(await db.Checkpoints.Where(c => c.RunId == runId).ToListAsync());
        Assert.True(File.Exists(checkpoint.FilePath));
        Assert.Equal(new FileInfo(checkpoint.FilePath).Length, checkpoint.Bytes);
        Assert.Equal(Checkpoints.Sha256Of(checkpoint.FilePath), checkpoint.Sha256);
        Assert.StartsWith(app.DataDirectory, checkpoint.FilePath, StringComparison.Ordinal);
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
        var lossSteps = await db.MetricPoints.Where(p => p.RunId == runId && p.Name == "loss").Select(p => p.Step).ToListAsync();
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
        var steps = await db.MetricPoints.Where(p => p.RunId == runId && p.Name == "loss").Select(p => p.Step).ToListAsync();
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
        Assert.True(await db.MetricPoints.CountAsync(p => p.RunId == runId && p.Name == "loss") >= 1);
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
