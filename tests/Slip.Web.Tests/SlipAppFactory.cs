using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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

    public SlipAppFactory(bool workers = false, IDictionary<string, string?>? extra = null)
    {
        DataDirectory = Directory.CreateTempSubdirectory("slip-web-").FullName;
        settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Slip:DataDirectory"] = DataDirectory,
            ["Slip:Workers:Enabled"] = workers ? "true" : "false",
            ["Slip:CancelGraceSeconds"] = "5",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<SlipDbContext> DbAsync() => await Get<IDbContextFactory<SlipDbContext>>().CreateDbContextAsync();

    /// <summary>Polls the run until <paramref name="done"/> holds or the timeout passes; returns the last state seen.</summary>
    public async Task<Run> WaitForRunAsync(long runId, Func<Run, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = await DbAsync();
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
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
    public static RunConfig TinyRun(int epochs = 1) => new RunConfig
    {
        Objective = Objective.Slip,
        Dataset = "shapes-mini",
        Epochs = epochs,
        BatchSize = 32,
        LogEvery = 2,
    }.WithModelPreset("Micro");
}

/// <summary>Tests that start a host run one at a time: Hangfire and trainers share two cores.</summary>
[CollectionDefinition("hosts", DisableParallelization = true)]
public sealed class HostsCollection;
