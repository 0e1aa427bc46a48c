using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Tests;

/// <summary>
/// The real web app on a temporary data folder with the embedded store (or PostgreSQL when a connection string is
/// given). Workers are off unless asked for, so tests can drive the training job directly.
/// </summary>
public sealed class SlipAppFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? services;

    /// <param name="workers">Whether the app runs its Hangfire workers.</param>
    /// <param name="extra">Settings added to (or replacing) the test defaults.</param>
    /// <param name="services">Replaces app services (a test's clock, say) after the app registered its own.</param>
    public SlipAppFactory(bool workers = false, IDictionary<string, string?>? extra = null, Action<IServiceCollection>? services = null)
    {
        this.services = services;
        DataDirectory = Directory.CreateTempSubdirectory("slip-web-").FullName;
        settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Slip:DataDirectory"] = DataDirectory,
            ["Slip:Workers:Enabled"] = workers ? "true" : "false",
            ["Slip:Workers:SelfCheck"] = "false",   // on where a test is about it (WorkerSelfCheckTests, the E2E queue view)
            ["Slip:CancelGraceSeconds"] = "5",
            ["Slip:Auth:AdminName"] = AdminName,
            ["Slip:Auth:AdminPassword"] = AdminPassword,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public const string AdminName = "admin";

    public const string AdminPassword = "admin-password-for-tests";

    private readonly Dictionary<string, string> keys = [];
    private bool anonymous;

    public string DataDirectory { get; }

    /// <summary>Clients from <c>CreateClient</c> act as the first admin, with an API key.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        if (anonymous)
        {
            return;
        }

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKeyFor(Slip.Web.Security.Roles.Admin));
    }

    /// <summary>An API key of a user with <paramref name="role"/> (the first admin for Admin; a user named after the role otherwise).</summary>
    public string ApiKeyFor(string role)
    {
        lock (keys)
        {
            if (!keys.TryGetValue(role, out var key))
            {
                var users = Get<Slip.Web.Security.UserStore>();
                var name = role == Slip.Web.Security.Roles.Admin ? AdminName : role.ToLowerInvariant();
                var user = users.ListAsync().GetAwaiter().GetResult().FirstOrDefault(u => u.Name == name)
                    ?? users.CreateAsync(name, AdminPassword, role).GetAwaiter().GetResult().User!;
                key = keys[role] = users.CreateApiKeyAsync(user.Id, "tests").GetAwaiter().GetResult();
            }

            return key;
        }
    }

    /// <summary>A client with no credentials and no redirects followed (it keeps cookies).</summary>
    public HttpClient AnonymousClient()
    {
        anonymous = true;
        try
        {
            return CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        }
        finally
        {
            anonymous = false;
        }
    }

    /// <summary>Every log line the app wrote (message and exception), for tests that check what is logged.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<SlipDbContext> DbAsync() => await Get<IDbContextFactory<SlipDbContext>>().CreateDbContextAsync();

    /// <summary>
    /// Stores a Tiny SLIP run made by hand in <paramref name="status"/>, as attempt 1 with that attempt's record (ended
    /// with the status unless it is running), after <paramref name="configure"/> has set the rest; returns its id.
    /// </summary>
    public async Task<long> AddRunAsync(string name, RunStatus status, Action<Run>? configure = null)
    {
        await using var db = await DbAsync();
        var run = new Run
        {
            Name = name,
            Objective = "SLIP",
            Model = "Micro",
            Dataset = "shapes-mini",
            ConfigJson = TinyRun().ToJson(),
            Status = status,
            Attempt = 1,
            CreatedAt = DateTime.UtcNow,
        };
        configure?.Invoke(run);
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        var ended = status is not (RunStatus.Running or RunStatus.Queued);
        db.RunAttempts.Add(new RunAttempt
        {
            RunId = run.Id,
            Number = 1,
            Worker = run.Worker,
            StartedAt = DateTime.UtcNow.AddMinutes(-5),
            FinishedAt = ended ? DateTime.UtcNow : null,
            Status = status,
            Error = run.Error,
        });
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>
    /// Reads the store, trying again for up to 30 s while it fails as a store outage does (the database restarting, a
    /// pooled connection it broke): what a test reads is never the outage it injected.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<SlipDbContext, Task<T>> read)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var db = await DbAsync();
                return await read(db);
            }
            catch (Exception ex) when (Slip.Web.Hosting.StoreRetry.IsStoreFault(ex) && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Polls the run until <paramref name="done"/> holds or the timeout passes; returns the last state seen.</summary>
    public async Task<Run> WaitForRunAsync(long runId, Func<Run, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await ReadAsync(db => db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId));
            if (done(run) || DateTime.UtcNow > deadline)
            {
                return run;
            }

            await Task.Delay(100);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A trainer that was just killed may still be releasing a file; the temp folder is harmless.
        }
    }

    /// <summary>A run config small enough to train in a few seconds on two cores.</summary>
    public static RunConfig TinyRun(int epochs = 1) => new RunConfig { Data = new DataConfig { Dataset = "shapes-mini" }, Optim = new OptimConfig { Epochs = epochs, BatchSize = 32 }, Objective = Objective.Slip, LogEvery = 2 }.WithModelPreset("Micro");
}

/// <summary>Tests that start a host run one at a time: Hangfire and trainers share two cores.</summary>
[CollectionDefinition("hosts", DisableParallelization = true)]
public sealed class HostsCollection;

/// <summary>Keeps every log line (message and exception) in memory.</summary>
public sealed class CapturingLoggerProvider(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Capturing(lines, categoryName);

    public void Dispose()
    {
    }

    private sealed class Capturing(System.Collections.Concurrent.ConcurrentQueue<string> lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
