using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Api;
using Slip.Web.Security;

namespace Slip.Web.Runs;

/// <summary>Resuming a run (a new attempt, same run id) and its attempt history.</summary>
public static class AttemptEndpoints
{
    public static RouteGroupBuilder MapAttemptApi(this RouteGroupBuilder api)
    {
        api.MapPost("/runs/{id:long}/resume", ResumeAsync).RequireAuthorization(Policies.Operate);
        api.MapGet("/runs/{id:long}/attempts", AttemptsAsync);
        return api;
    }

    private static async Task<IResult> ResumeAsync(long id, RunResumer resumer, CancellationToken ct)
    {
        var result = await resumer.ResumeAsync(id, ct);
        if (result.NotFound)
        {
            return ApiResults.NotFound(result.Problem!);
        }

        return result.Succeeded
            ? Results.Accepted($"/api/runs/{id}", new { id, attempt = result.Attempt })
            : Results.Problem(result.Problem, statusCode: StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> AttemptsAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        return Results.Ok(await RunPageQuery.AttemptsAsync(db, id, ct));
    }
}
