namespace Slip.Web.Hosting;

/// <summary>
/// Answers a request that failed because the database is unreachable (PostgreSQL restarting) with 503 and that
/// reason, instead of a bare 500; the client can retry. Other errors pass on to the error page.
/// </summary>
public static class StoreOutageMiddleware
{
    public static IApplicationBuilder UseStoreOutageAnswer(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (StoreRetry.IsStoreFault(ex) && !context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Slip.Store")
                .LogWarning("{Method} {Path}: the store is unreachable ({Reason}).", context.Request.Method, context.Request.Path, ex.GetBaseException().Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            await context.Response.WriteAsJsonAsync(new
            {
                title = "The database is unreachable",
                status = 503,
                detail = "Slip cannot reach its database right now (it may be restarting). Nothing was changed; try again in a few seconds.",
            });
        }
    });
}
