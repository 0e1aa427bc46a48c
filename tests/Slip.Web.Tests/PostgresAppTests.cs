using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>The whole path on the production store: PostgreSQL for runs and for Hangfire (schema "hangfire").</summary>
[Collection("hosts")]
public sealed class PostgresAppTests() : ThrowawayDatabase("slip_web")
{
    [Fact]
    public async Task UpdatesPublishedInOneProcessReachAnotherSharingTheDatabase()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = Connection,
        };
        await using var worker = new SlipAppFactory(extra: settings);
        await using var dashboard = new SlipAppFactory(extra: settings);
        _ = worker.Server;
        _ = dashboard.Server;
        await worker.Get<Slip.Web.Live.PostgresUpdateRelay>().Listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await dashboard.Get<Slip.Web.Live.PostgresUpdateRelay>().Listening.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var received = new TaskCompletionSource<Slip.Web.Live.RunUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new System.Collections.Concurrent.ConcurrentBag<Slip.Web.Live.MetricSample>();
        var echoed = 0;
        using var watch = dashboard.Get<Slip.Web.Live.RunEventHub>().Subscribe(42, u =>
        {
            received.TrySetResult(u);
            foreach (var m in u.Metrics ?? [])
            {
                arrived.Add(m);
            }
        });
        using var self = worker.Get<Slip.Web.Live.RunEventHub>().Subscribe(42, _ => Interlocked.Increment(ref echoed));
        // Enough samples to need splitting below NOTIFY's 8,000-byte limit.
        var samples = Enumerable.Range(0, 400).Select(i => new Slip.Web.Live.MetricSample($"metric_{i % 10}", i, 0.5, i == 7 ? double.NaN : i)).ToList();
        var sent = System.Diagnostics.Stopwatch.StartNew();
        worker.Get<Slip.Web.Live.RunEventHub>().Publish(new Slip.Web.Live.RunUpdate(42, Status: RunStatus.Running, Step: 399, Metrics: samples));

        var first = await received.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(1), $"the update took {sent.Elapsed.TotalMilliseconds:F0} ms to cross");
        Assert.Equal((RunStatus.Running, 399L), (first.Status, first.Step));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (arrived.Count < samples.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(samples.Select(m => m.Step).Order(), arrived.Select(m => m.Step).Order());   // split into several NOTIFYs, none lost
        Assert.True(double.IsNaN(arrived.Single(m => m.Step == 7).Value));
        await Task.Delay(500);
        Assert.Equal(1, echoed);   // the publisher's own pages get it once, not again from the database
    }

    [Fact]
    public async Task RunLaunchedThroughTheApiTrainsWithPostgresStoreAndQueue()
    {
        var connection = Connection;
        await using var app = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = connection,
        });
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("pg", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(), RunConfig.JsonOptions)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        await using var db = await app.DbAsync();
        Assert.IsType<PostgresSlipDbContext>(db);
        Assert.True((await MetricQueries.RunAsync(db, id)).Count > 0);
        Assert.Equal(1, await db.Checkpoints.CountAsync(c => c.RunId == id));
        await using var raw = new NpgsqlConnection(connection);
        await raw.OpenAsync();
        await using var jobs = new NpgsqlCommand("SELECT count(*) FROM hangfire.job", raw);
        Assert.True((long)(await jobs.ExecuteScalarAsync())! >= 1);
    }

    [Fact]
    public async Task ARunTrainsThroughAPostgresRestartWithEveryPointStoredOnce()
    {
        var direct = new NpgsqlConnectionStringBuilder(Connection);
        await using var proxy = new TcpOutageProxy(direct.Host!, direct.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = proxy.Port, Timeout = 3 }.ConnectionString;
        await using var app = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = throughProxy,
        });
        _ = app.Server;
        var id = (await app.Get<Slip.Web.Runs.RunLauncher>().LaunchAsync("through a restart", SlipAppFactory.TinyRun(epochs: 8))).RunId!.Value;
        var before = await app.WaitForRunAsync(id, r => r.Step >= 4, TimeSpan.FromSeconds(90));
        Assert.Equal(RunStatus.Running, before.Status);

        await proxy.OutageAsync(TimeSpan.FromSeconds(6));
        Assert.NotNull(app.Get<Slip.Web.Workers.ActiveTrainers>().ProcessIdOf(id));   // the trainer trained on through the outage

        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(120));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        await using var db = await app.DbAsync();
        var steps = (await MetricQueries.SeriesAsync(db, id, "loss")).Select(p => p.Step).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 32).Select(i => 2L * i), steps);
        Assert.Equal(32, (await db.MetricSummaries.SingleAsync(s => s.RunId == id && s.Name == "loss")).Count);
        Assert.Equal(8, await db.Checkpoints.CountAsync(c => c.RunId == id));
    }

    [Fact]
    public async Task AWorkerHostWithoutTheDashboardRegistersAgainstPostgresAndTrainsWhatTheDashboardQueues()
    {
        var connection = Connection;
        var data = Directory.CreateTempSubdirectory("slip-cluster-").FullName;   // the shared checkpoint volume
        Dictionary<string, string?> Shared(params (string, string)[] more)
        {
            var settings = new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["ConnectionStrings:Slip"] = connection, ["Slip:DataDirectory"] = data };
            foreach (var (key, value) in more)
            {
                settings[key] = value;
            }

            return settings;
        }

        await using var worker = new SlipAppFactory(workers: true, extra: Shared(("Slip:Role", "worker")));
        using (var probe = worker.AnonymousClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync("/")).StatusCode);       // no pages
            Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync("/api/runs")).StatusCode);   // no API
            Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync("/hangfire")).StatusCode);
        }

        await using var dashboard = new SlipAppFactory(workers: false, extra: Shared());
        var storage = dashboard.Get<Hangfire.JobStorage>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (storage.GetMonitoringApi().Servers().Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var server = Assert.Single(storage.GetMonitoringApi().Servers());
        Assert.StartsWith(Slip.Web.Workers.WorkerRegistry.ServerName("cpu"), server.Name);
        Assert.Contains("training", server.Queues);

        using var client = dashboard.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("on the worker", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(), RunConfig.JsonOptions)));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var run = await dashboard.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.StartsWith(Slip.Web.Workers.WorkerRegistry.ServerName("cpu"), run.Worker);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/runs/{id}/checkpoints/latest/download")).StatusCode);   // written by the worker, served by the dashboard
    }

    [Fact]
    public async Task AHostWhoseClockRunsAheadDoesNotTakeALiveWorkersRun()
    {
        // Leases are read and written by PostgreSQL's clock: a dashboard whose clock is 10 minutes fast sees the
        // worker's lease as live, where by its own clock the lease would have expired long ago.
        var connection = Connection;
        var data = Directory.CreateTempSubdirectory("slip-skew-").FullName;
        var shared = new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["ConnectionStrings:Slip"] = connection, ["Slip:DataDirectory"] = data, ["Slip:Workers:HeartbeatTimeoutSeconds"] = "4" };
        await using var worker = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?>(shared) { ["Slip:Role"] = "worker" });
        _ = worker.Server;
        await using var dashboard = new SlipAppFactory(workers: false, extra: shared, services: s => s.AddSingleton<TimeProvider>(new Skewed(TimeSpan.FromMinutes(10))));
        var id = (await dashboard.Get<RunLauncher>().LaunchAsync("skewed", SlipAppFactory.TinyRun(epochs: 8))).RunId!.Value;
        await dashboard.WaitForRunAsync(id, r => r.Status == RunStatus.Running && r.Step >= 2, TimeSpan.FromSeconds(90));

        var taken = new List<Slip.Web.Workers.LostLease>();
        for (var i = 0; i < 3; i++)
        {
            taken.AddRange(await dashboard.Get<Slip.Web.Workers.LeaseMonitor>().SweepAsync());
            await Task.Delay(500);
        }

        Assert.Empty(taken);
        var run = await dashboard.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(120));
        Assert.True(run.Status == RunStatus.Succeeded, run.Error);
        Assert.Equal(1, run.Attempt);
    }

    /// <summary>This host's clock, running <paramref name="ahead"/> of everyone else's.</summary>
    private sealed class Skewed(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

    [Fact]
    public async Task TheDatabasePasswordNeverReachesTheLogsEvenWhenTheDatabaseFails()
    {
        const string Canary = "canary-pw-7f3a9c";
        var direct = new NpgsqlConnectionStringBuilder(Connection);
        await using var proxy = new TcpOutageProxy(direct.Host!, direct.Port);
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = proxy.Port, Timeout = 2 }.ConnectionString,
            ["Storage:Password"] = Canary,   // the test server trusts loopback, so any password connects
        });
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
        var outage = proxy.OutageAsync(TimeSpan.FromSeconds(3));
        await Task.Delay(200);
        var during = await client.GetAsync("/api/runs");   // fails while the database is away, and is logged
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Contains("cannot reach its database", await during.Content.ReadAsStringAsync());
        await outage;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
        Assert.Contains(app.Logs, l => l.Contains("Npgsql", StringComparison.Ordinal) || l.Contains("connect", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(app.Logs, l => l.Contains(Canary, StringComparison.Ordinal));
    }
}
