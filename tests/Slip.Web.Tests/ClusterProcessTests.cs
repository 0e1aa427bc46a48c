using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>
/// A cluster of separate processes on the throwaway PostgreSQL: worker hosts started as their own OS processes (the
/// app's build, Slip__Role=worker), killed with SIGKILL, beside a dashboard. What is asserted about trainers is read
/// from the processes themselves (/proc), not from the database.
/// </summary>
[Collection("hosts")]
public sealed class ClusterProcessTests(Xunit.Abstractions.ITestOutputHelper output) : ThrowawayDatabase("slip_cluster")
{
    /// <summary>The app as built (Slip.Web's own output), started as a worker host.</summary>
    private static Process StartWorkerHost(IReadOnlyDictionary<string, string> settings)
    {
        var app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "Slip.Web", "bin", "Release", "net10.0", "linux-x64", "Slip.Web.dll"));
        Assert.True(File.Exists(app), $"{app} is missing: build the solution first (./test.sh does).");
        var start = new ProcessStartInfo(Slip.Training.DotnetHost.Path()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(app)! };
        start.ArgumentList.Add(app);
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The processes training into <paramref name="checkpointFolder"/> (a run's, on their command line), from /proc.</summary>
    private static List<int> TrainersOf(string checkpointFolder)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Contains("train") && args.Contains(checkpointFolder))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    [Fact]
    public async Task AWorkerHostKilledMidRunTakesItsTrainerWithItAndAnotherWorkerFinishesTheRunWithNoPointLostOrDoubled()
    {
        var connection = Connection;
        var data = Directory.CreateTempSubdirectory("slip-cluster-").FullName;
        var shared = new Dictionary<string, string>
        {
            ["Storage__Provider"] = "Postgres",
            ["ConnectionStrings__Slip"] = connection,
            ["Slip__DataDirectory"] = data,
            ["Slip__Workers__HeartbeatTimeoutSeconds"] = "4",
            ["urls"] = "http://127.0.0.1:0",
        };
        var worker = new Dictionary<string, string>(shared) { ["Slip__Role"] = "worker" };
        await using var dashboard = new SlipAppFactory(workers: false, extra: shared.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value));
        _ = dashboard.Server;
        var first = StartWorkerHost(worker);
        Process? second = null;
        string? folder = null;
        try
        {
            var id = (await dashboard.Get<RunLauncher>().LaunchAsync("killed host", SlipAppFactory.TinyRun(epochs: 12))).RunId!.Value;
            folder = dashboard.Get<Microsoft.Extensions.Options.IOptions<Slip.Web.Hosting.SlipOptions>>().Value.CheckpointDirectory(id);
            var most = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    most = Math.Max(most, TrainersOf(folder).Count);
                    await Task.Delay(50);
                }
            });

            await dashboard.WaitForRunAsync(id, r => r.Status == RunStatus.Running && r.Step >= 4, TimeSpan.FromSeconds(120));
            List<long> Stored(SlipDbContext db) => [.. db.MetricPoints.Where(p => p.RunId == id && p.Name == "loss").Select(p => p.Step).OrderBy(s => s)];
            List<long> acknowledged;
            await using (var db = await dashboard.DbAsync())
            {
                acknowledged = Stored(db);
            }

            Assert.Single(TrainersOf(folder));
            first.Kill(entireProcessTree: false);   // SIGKILL to the host alone: its trainer is not signalled
            var clock = Stopwatch.StartNew();
            while (TrainersOf(folder).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            var orphanLived = clock.Elapsed;
            Assert.True(TrainersOf(folder).Count == 0, "the killed host's trainer is still training");

            second = StartWorkerHost(worker);
            var run = await dashboard.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed && r.Attempt >= 2, TimeSpan.FromSeconds(180));
            await sampling.CancelAsync();
            await sampler;

            Assert.True(run.Status == RunStatus.Succeeded, run.Error);
            Assert.Equal(1, most);                                                            // never two trainers at once
            Assert.True(orphanLived < TimeSpan.FromSeconds(5), $"the orphaned trainer lived {orphanLived} after its host");
            await using var store = await dashboard.DbAsync();
            var steps = Stored(store);
            var attempts = await store.RunAttempts.Where(a => a.RunId == id).OrderBy(a => a.Number).ToListAsync();
            Assert.Equal([RunStatus.Failed, RunStatus.Succeeded], attempts.Select(a => a.Status));
            Assert.Matches("stopped sending heartbeats|restarted while this run was training", attempts[0].Error);   // the dashboard's lease monitor or the new host, whichever came first
            Assert.Equal(steps.Distinct().Count(), steps.Count);
            Assert.Subset(steps.ToHashSet(), acknowledged.ToHashSet());
            Assert.Equal(Enumerable.Range(1, 48).Select(i => 2L * i).Where(s => s > attempts[1].FromStep), steps.Where(s => s > attempts[1].FromStep));
            output.WriteLine($"SIGKILL of a worker host: orphaned trainer gone after {orphanLived.TotalMilliseconds:F0} ms; most trainers at once {most}; "
                + $"loss points acknowledged before {acknowledged.Count}, kept {acknowledged.Count(steps.Contains)}, final {steps.Count} of 48, duplicated {steps.Count - steps.Distinct().Count()}, resumed from step {attempts[1].FromStep}");
        }
        finally
        {
            foreach (var host in new[] { first, second })
            {
                if (host is { HasExited: false })
                {
                    host.Kill(entireProcessTree: true);
                }

                host?.Dispose();
            }

            foreach (var orphan in folder is null ? [] : TrainersOf(folder))
            {
                using var process = Process.GetProcessById(orphan);
                process.Kill();   // a failed test leaves no trainer behind
            }
        }
    }
}
