using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Slip.Web.Hosting;

namespace Slip.Web.Security;

/// <summary>
/// ASP.NET Core's rate limiter and forwarded headers: the API is limited per signed-in user (per client address
/// before signing in), the sign-in and setup forms per client address; behind a configured reverse proxy the client
/// address and scheme come from its X-Forwarded-For and X-Forwarded-Proto.
/// </summary>
public static class RequestLimits
{
    public const string ApiPolicy = "api";

    public static IServiceCollection AddSlipRequestLimits(this IServiceCollection services, SlipOptions slip)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in slip.Proxy.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in slip.Proxy.KnownNetworks)
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        var window = TimeSpan.FromMinutes(1);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window;
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsJsonAsync(new
                {
                    title = "Too many requests",
                    status = StatusCodes.Status429TooManyRequests,
                    detail = $"Too many requests from this {(context.HttpContext.User.Identity?.IsAuthenticated == true ? "user" : "address")}; try again in {(int)Math.Ceiling(wait.TotalSeconds)} s.",
                }, ct);
            };
            o.AddPolicy(ApiPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.User.FindFirst(ClaimTypes.NameIdentifier)?.Value is { } user ? $"user:{user}" : $"address:{http.Connection.RemoteIpAddress}",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, slip.Limits.ApiPerMinute), Window = window }));
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                HttpMethods.IsPost(http.Request.Method) && (http.Request.Path.StartsWithSegments("/account/login") || http.Request.Path.StartsWithSegments("/setup"))
                    ? RateLimitPartition.GetFixedWindowLimiter($"sign-in:{http.Connection.RemoteIpAddress}", _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, slip.Limits.SignInPerMinute), Window = window })
                    : RateLimitPartition.GetNoLimiter("none"));
        });
        return services;
    }
}
