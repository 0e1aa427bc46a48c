using System.Diagnostics;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// A small Slip cluster on this machine: a PostgreSQL server of its own, a dashboard (in this process, with the lease
/// monitor) and worker hosts as separate OS processes, each behind its own TCP proxy to the database, sharing one data
/// folder (the checkpoint volume). Leases last <see cref="LeaseSeconds"/> and Hangfire's invisibility timeout is
/// <see cref="InvisibilitySeconds"/>, so every run outlives it. Trainers are counted from /proc throughout.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    public const int LeaseSeconds = 6;
    public const int InvisibilitySeconds = 3;

    private readonly Dictionary<string, string> shared;
    private int started;

    private ClusterHarness(PostgresServer server, string data, Dictionary<string, string> shared, SlipAppFactory dashboard)
    {
        Server = server;
        DataDirectory = data;
        this.shared = shared;
        Dashboard = dashboard;
    }

    public PostgresServer Server { get; }

    public string DataDirectory { get; }

    public SlipAppFactory Dashboard { get; }

    public List<WorkerHost> Workers { get; } = [];

    public TrainerCensus Census { get; } = new();

    public static async Task<ClusterHarness> StartAsync(int workers)
    {
        var server = await PostgresServer.StartAsync();
        var data = Directory.CreateTempSubdirectory("slip-cluster-").FullName;
        var shared = new Dictionary<string, string>
        {
            ["Storage__Provider"] = "Postgres",
            ["Slip__DataDirectory"] = data,
            ["Slip__Workers__HeartbeatTimeoutSeconds"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hangfire__InvisibilityTimeoutSeconds"] = InvisibilitySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var dashboardSettings = shared.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value);
        dashboardSettings["ConnectionStrings:Slip"] = server.Connection;
        var dashboard = new SlipAppFactory(workers: false, extra: dashboardSettings);
        _ = dashboard.Server;   // migrates the database before the workers start
        var cluster = new ClusterHarness(server, data, shared, dashboard);
        for (var i = 0; i < workers; i++)
        {
            await cluster.StartWorkerAsync();
        }

        return cluster;
    }

    /// <summary>Starts one more worker host and waits until it says it is ready (/readyz: database, queue and its workers).</summary>
    public async Task<WorkerHost> StartWorkerAsync()
    {
        var host = WorkerHost.Start($"worker {++started}", Server, shared);
        Workers.Add(host);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(host.HasExited, $"{host.Name} exited at start: {string.Join('\n', host.Logs.TakeLast(30))}");
            try
            {
                if ((await probe.GetAsync($"{host.Url}/readyz")).IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{host.Name} was not ready after a minute: {string.Join('\n', host.Logs.TakeLast(30))}");
            await Task.Delay(200);
        }
    }

    public async Task<long> LaunchAsync(string name, RunConfig config) =>
        (await Dashboard.Get<RunLauncher>().LaunchAsync(name, config)).RunId!.Value;

    public string FolderOf(long runId) => Dashboard.Get<IOptions<Slip.Web.Hosting.SlipOptions>>().Value.CheckpointDirectory(runId);

    /// <summary>The worker host whose trainer trains <paramref name="runId"/> now (the trainer's parent process).</summary>
    public async Task<(WorkerHost Host, int Trainer)> HolderOfAsync(long runId)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var trainer in TrainerCensus.Of(FolderOf(runId)))
            {
                if (Workers.FirstOrDefault(w => w.ProcessId == trainer.ParentPid && !w.HasExited) is { } host)
                {
                    return (host, trainer.Pid);
                }
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"no worker host trains run {runId}");
    }

    /// <summary>Waits until run <paramref name="runId"/> is running and past <paramref name="step"/>.</summary>
    public Task<Run> RunningPastAsync(long runId, long step) =>
        Dashboard.WaitForRunAsync(runId, r => r.Status == RunStatus.Running && r.Step >= step, TimeSpan.FromSeconds(120));

    /// <summary>Every stored metric point of the run, as (name, step), duplicates included.</summary>
    public async Task<List<(string Name, long Step)>> PointsAsync(long runId)
    {
        var points = await Dashboard.ReadAsync(async db => (await MetricQueries.RunAsync(db, runId)).Select(p => new { p.Name, p.Step }).ToList());
        return [.. points.Select(p => (p.Name, p.Step))];
    }

    public async ValueTask DisposeAsync()
    {
        await Census.DisposeAsync();
        foreach (var host in Workers)
        {
            await host.DisposeAsync();
        }

        foreach (var orphan in TrainerCensus.Now().Where(t => t.Folder.StartsWith(DataDirectory, StringComparison.Ordinal)))
        {
            try
            {
                using var process = Process.GetProcessById(orphan.Pid);
                process.Kill();   // a failed test leaves no trainer behind
            }
            catch (ArgumentException)
            {
            }
        }

        await Dashboard.DisposeAsync();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
