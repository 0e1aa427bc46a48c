using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Api;

namespace Slip.Web.Runs;

/// <summary>Resuming a run (a new attempt, same run id) and its attempt history.</summary>
public static class AttemptEndpoints
{
    public static RouteGroupBuilder MapAttemptApi(this RouteGroupBuilder api)
    {
        api.MapPost("/runs/{id:long}/resume", ResumeAsync).ForOperators().Succeeds<AttemptStarted>("Resumes a failed or cancelled run from its last saved state, as a new attempt.", StatusCodes.Status202Accepted).Answers(404).Answers(409);
        api.MapGet("/runs/{id:long}/attempts", AttemptsAsync).Succeeds<IReadOnlyList<AttemptView>>("A run's attempts: where each ran, from which step, how it ended, and the points it lost.").Answers(404);
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
            ? Results.Accepted($"/api/runs/{id}", new AttemptStarted(id, result.Attempt!.Value))
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
