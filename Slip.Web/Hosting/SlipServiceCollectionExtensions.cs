using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;
using Slip.Data;
using Slip.Web.Api;
using Slip.Web.Evaluations;
using Slip.Web.Live;
using Slip.Web.Runs;
using Slip.Web.Security;
using Slip.Web.Workers;

namespace Slip.Web.Hosting;

/// <summary>Wires Slip's parts into the web host: settings, store, queue and workers, live updates, UI.</summary>
public static class SlipServiceCollectionExtensions
{
    /// <summary>The training queue every device's worker serves.</summary>
    public const string TrainingQueue = "training";

    /// <summary>
    /// Reads the repository's shared appsettings.json (copied next to the app) as the lowest-priority source, so
    /// `dotnet run --project Slip.Web` and the published app see the same file; environment variables and
    /// command-line arguments still override it.
    /// </summary>
    public static WebApplicationBuilder AddSlipSharedSettings(this WebApplicationBuilder builder)
    {
        var shared = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(shared))
        {
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
            {
                Path = "appsettings.json",
                Optional = true,
                ReloadOnChange = false,
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
            });
        }

        // The host read its listen addresses before this file was added: apply the effective value
        // (ASPNETCORE_URLS or --urls still win, since they sit above this file).
        if (builder.Configuration["urls"] is { Length: > 0 } urls)
        {
            builder.WebHost.UseUrls(urls);
        }

        SecretSettings.AddUserSecrets(builder);
        return builder;
    }

    public static WebApplicationBuilder AddSlip(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        SecretSettings.Guard(configuration);
        var services = builder.Services;
        var slip = configuration.GetSection(SlipOptions.Section).Get<SlipOptions>() ?? new SlipOptions();
        services.Configure<SlipOptions>(configuration.GetSection(SlipOptions.Section));

        var storage = StorageFrom(configuration, slip);
        services.AddSlipStore(storage);
        services.AddSingleton<RunEventHub>();
        if (string.Equals(storage.Provider, StorageOptions.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            // Updates cross processes (dashboard and worker hosts) through the shared database.
            services.AddSingleton(sp => new PostgresUpdateRelay(storage.ConnectionString!, sp.GetRequiredService<RunEventHub>(), sp.GetRequiredService<ILogger<PostgresUpdateRelay>>()));
            services.AddHostedService(sp => sp.GetRequiredService<PostgresUpdateRelay>());
        }

        services.TryAddSingleton(TimeProvider.System);   // this host's clock (leases use the database's: StoreClock)
        services.AddSingleton<ActiveTrainers>();
        services.AddSingleton(new WorkerRegistry(slip.Workers.EffectiveDevices));
        services.AddSingleton<RunLauncher>();
        services.AddSingleton<EvaluationLauncher>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<CheckpointIntegrity>();
        services.AddSingleton<RunResumer>();
        services.AddSingleton<Slip.Web.Sweeps.SweepLauncher>();
        services.AddSingleton<Slip.Web.Sweeps.SweepImporter>();
        services.AddSingleton<ChildProcessSupervisor>();
        services.AddSingleton<Slip.Web.Datasets.DatasetRegistry>();
        services.AddTransient<TrainingJob>();
        services.AddTransient<EvaluationJob>();

        // Registered before the Hangfire servers: migrations and reconciliation finish before any job runs.
        services.AddHostedService<StartupReconciler>();
        services.AddSingleton<LeaseMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseMonitor>());
        services.AddSlipHangfire(configuration, storage, slip);
        services.AddSlipHealthChecks();
        services.AddSlipMetrics();
        services.Configure<HostOptions>(o =>
        {
            o.ServicesStopConcurrently = true;
            o.ShutdownTimeout = TimeSpan.FromSeconds(15);
        });
        if (slip.IsWorkerOnly)
        {
            return builder;   // a GPU worker host: the queue's servers and /healthz, no pages, API or sign-in
        }

        // Sign-in cookies and anti-forgery tokens are protected by keys kept with Slip's data (not the home folder), so
        // they survive a restart or a recreated container, and dashboards sharing the data folder share them.
        services.AddDataProtection()
            .SetApplicationName("Slip")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(slip.ResolvedDataDirectory, "keys")));
        services.AddSlipAuthentication();
        services.AddSlipRequestLimits(slip);

        // Serve package assets (MudBlazor, Plotly, the Blazor script) from the build output in every environment, not only
        // Development: `dotnet run` has no launch profile here. A published app has no manifest and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        services.AddMudServices();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddProblemDetails();
        services.AddSlipOpenApi();
        // A diverged run logs NaN and infinite losses: the API writes them as "NaN" and "Infinity" instead of failing.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
        return builder;
    }

    private static StorageOptions StorageFrom(IConfiguration configuration, SlipOptions slip)
    {
        var provider = configuration["Storage:Provider"] ?? "Sqlite";
        var connection = SecretSettings.WithPassword(configuration, configuration.GetConnectionString("Slip"));
        if (string.IsNullOrWhiteSpace(connection) && provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            connection = $"Data Source={Path.Combine(slip.ResolvedDataDirectory, "slip.db")}";
        }

        return new StorageOptions { Provider = provider, ConnectionString = connection };
    }

    private static void AddSlipHangfire(this IServiceCollection services, IConfiguration configuration, StorageOptions storage, SlipOptions slip)
    {
        // Derived from the database provider unless set explicitly (platform notes, pitfall 12).
        var kind = configuration["Hangfire:Storage"];
        if (string.IsNullOrWhiteSpace(kind))
        {
            kind = storage.Provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase) ? "Postgres" : "InMemory";
        }

        // Registered per host, not through Hangfire's process-wide statics (platform notes, pitfall 3).
        services.AddSingleton<JobStorage>(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Slip.Hangfire");
            logger.LogInformation("Hangfire storage: {Storage}", kind);
            if (kind.Equals("postgres", StringComparison.OrdinalIgnoreCase))
            {
                // Hangfire's servers resolve the storage when hosted services are built, before any of them starts,
                // and its schema installer needs the database to exist: migrate (which creates it) right here.
                SlipStore.MigrateAsync(sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<SlipDbContext>>(), CancellationToken.None)
                    .GetAwaiter().GetResult();
            }

            return kind.ToLowerInvariant() switch
            {
                "postgres" => new PostgreSqlStorage(
                    new NpgsqlConnectionFactory(storage.ConnectionString ?? throw new InvalidOperationException("ConnectionStrings:Slip is required for PostgreSQL."), PostgresOptions(configuration)),
                    PostgresOptions(configuration)),
                "inmemory" => new InMemoryStorage(new InMemoryStorageOptions()),
                _ => throw new InvalidOperationException($"Unknown Hangfire:Storage '{kind}'. Use InMemory or Postgres."),
            };
        });
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, cfg) => cfg
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseTypeResolver(MovedJobTypes.Resolve)
            .UseRecommendedSerializerSettings()
            .UseStorage(sp.GetRequiredService<JobStorage>()));

        if (!slip.Workers.Enabled)
        {
            return;
        }

        if (slip.Workers.SelfCheck)
        {
            services.AddHostedService<WorkerSelfCheck>();
        }

        foreach (var device in slip.Workers.EffectiveDevices)
        {
            services.AddHangfireServer((_, o) =>
            {
                o.ServerName = WorkerRegistry.ServerName(device);
                o.Queues = [TrainingQueue];
                o.WorkerCount = 1;
                o.CancellationCheckInterval = TimeSpan.FromSeconds(1);
                o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            });
        }
    }

    /// <summary>
    /// A fetched job stays invisible to other servers while its server is alive (a sliding timeout, renewed every
    /// second), so a run longer than the timeout is not fetched again by another worker (which would make Hangfire
    /// cancel the first delivery). Only a server that stopped renewing (killed, or cut off from PostgreSQL) lets its
    /// job go after <c>Hangfire:InvisibilityTimeoutSeconds</c> (default 300).
    /// </summary>
    private static PostgreSqlStorageOptions PostgresOptions(IConfiguration configuration) => new()
    {
        SchemaName = "hangfire",
        PrepareSchemaIfNecessary = true,
        QueuePollInterval = TimeSpan.FromSeconds(1),
        EnableLongPolling = true,
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = TimeSpan.FromSeconds(Math.Max(2, configuration.GetValue("Hangfire:InvisibilityTimeoutSeconds", 300))),
    };

    public static WebApplication MapSlipHangfireDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new HangfireDashboardAuthorization()],
            IsReadOnlyFunc = HangfireDashboardAuthorization.IsReadOnly,
            DashboardTitle = "Slip queue",
            AppPath = "/",
        });
        return app;
    }
}
