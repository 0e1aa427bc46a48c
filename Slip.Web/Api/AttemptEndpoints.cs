using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Jobs;
using Slip.Web.Security;

namespace Slip.Web.Api;

/// <summary>One attempt as the API returns it.</summary>
public sealed record AttemptView(int Number, long FromStep, string? Worker, DateTime StartedAt, DateTime? FinishedAt, string Status, string? Error, long SupersededPoints);

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
            return SlipEndpoints.NotFound(result.Problem!);
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
            return SlipEndpoints.NotFound($"Run {id} does not exist.");
        }

        return Results.Ok(await AttemptsOfAsync(db, id, ct));
    }

    public static Task<List<AttemptView>> AttemptsOfAsync(SlipDbContext db, long runId, CancellationToken ct = default) =>
        db.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number)
            .Select(a => new AttemptView(a.Number, a.FromStep, a.Worker, a.StartedAt, a.FinishedAt, a.Status.ToString(), a.Error, a.SupersededPoints))
            .ToListAsync(ct);
}
