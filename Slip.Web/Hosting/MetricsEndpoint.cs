using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Slip.Web.Hosting;

/// <summary>
/// <c>/metrics</c> in Prometheus's text format, through OpenTelemetry's exporter, on every Slip host (dashboard and
/// worker hosts alike): <see cref="SlipMetrics"/>, with a <c>slip_</c> prefix. Served to loopback (a Prometheus or an
/// agent on the same machine), or to whoever sends <c>Slip:Metrics:ScrapeToken</c> as a bearer token; others get 403.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IServiceCollection AddSlipMetrics(this IServiceCollection services)
    {
        services.AddSingleton<SlipMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(SlipMetrics.MeterName).AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapSlipMetrics(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path == Path, branch => branch.Use(async (context, next) =>
        {
            if (Allowed(context, context.RequestServices.GetRequiredService<IOptions<SlipOptions>>().Value.Metrics.ScrapeToken))
            {
                await next(context);
                return;
            }

            await Results.Problem(
                "Metrics are served to this machine (loopback) only. To scrape from elsewhere, set Slip:Metrics:ScrapeToken on this host and send it as 'Authorization: Bearer TOKEN'.",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }));
        app.MapPrometheusScrapingEndpoint(Path).AllowAnonymous();   // guarded above, on every host kind
        return app;
    }

    private static bool Allowed(HttpContext context, string token)
    {
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote))
        {
            return true;
        }

        var sent = context.Request.Headers.Authorization.ToString();
        return token.Length > 0 && sent.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent["Bearer ".Length..]), Encoding.UTF8.GetBytes(token));
    }
}
