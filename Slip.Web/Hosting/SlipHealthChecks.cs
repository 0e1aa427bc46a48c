using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Web.Workers;

namespace Slip.Web.Hosting;

/// <summary>
/// ASP.NET Core health checks: <c>/healthz</c> says the process is alive (no checks: a restart would not help a
/// database outage); <c>/readyz</c> checks the database, the queue's storage and, on a host with workers, that this
/// host's queue servers are registered, answering JSON with each check and 503 when one is unhealthy.
/// </summary>
public static class SlipHealthChecks
{
    public static IServiceCollection AddSlipHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", timeout: TimeSpan.FromSeconds(5))
            .AddCheck<QueueCheck>("queue", timeout: TimeSpan.FromSeconds(5));
        return services;
    }

    public static WebApplication MapSlipHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = WriteJsonAsync }).AllowAnonymous();
        return app;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, seconds = e.Value.Duration.TotalSeconds }),
        }));
    }

    /// <summary>The store answers a query.</summary>
    private sealed class DatabaseCheck(IDbContextFactory<SlipDbContext> dbFactory) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                return await db.Database.CanConnectAsync(cancellationToken)
                    ? HealthCheckResult.Healthy($"{db.Database.ProviderName} answers.")
                    : HealthCheckResult.Unhealthy("The database does not accept connections.");
            }
            catch (Exception ex) when (StoreRetry.IsStoreFault(ex))
            {
                return HealthCheckResult.Unhealthy($"The database is unreachable: {ex.GetBaseException().Message}");
            }
        }
    }

    /// <summary>The queue's storage answers, and this host's queue servers (one per device) are registered in it.</summary>
    private sealed class QueueCheck(JobStorage storage, IOptions<SlipOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            IList<Hangfire.Storage.Monitoring.ServerDto> servers;
            try
            {
                servers = storage.GetMonitoringApi().Servers();
            }
            catch (Exception ex)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"The queue's storage is unreachable: {ex.GetBaseException().Message}"));
            }

            var workers = options.Value.Workers;
            if (!workers.Enabled)
            {
                return Task.FromResult(HealthCheckResult.Healthy($"The queue answers ({servers.Count} servers); this host runs no workers."));
            }

            var missing = workers.EffectiveDevices.Where(d => !servers.Any(s => s.Name.StartsWith(WorkerRegistry.ServerName(d), StringComparison.Ordinal))).ToList();
            return Task.FromResult(missing.Count == 0
                ? HealthCheckResult.Healthy($"The queue answers; this host's {workers.EffectiveDevices.Count} workers are registered.")
                : HealthCheckResult.Unhealthy($"This host's workers for {string.Join(", ", missing)} are not registered with the queue (yet)."));
        }
    }
}
