using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training.Sweeps;
using Slip.Web.Api;
using Slip.Web.Security;

namespace Slip.Web.Sweeps;

/// <summary>
/// The sweeps API: <c>POST /api/sweeps</c> with a sweep (<see cref="SweepDefinition"/>) queues its runs and answers
/// 201 with its id, or 400 with each problem under its field and nothing queued; <c>GET /api/sweeps/{id}</c> returns
/// it with its runs (status, knob values, metrics) and each arm's best combination; cancel and resume act on all its runs.
/// </summary>
public static class SweepEndpoints
{
    public static RouteGroupBuilder MapSweepApi(this RouteGroupBuilder api)
    {
        api.MapGet("/sweeps", ListAsync);
        api.MapGet("/sweeps/{id:long}", GetAsync);
        api.MapPost("/sweeps", LaunchAsync).RequireAuthorization(Policies.Operate);
        api.MapPost("/sweeps/{id:long}/cancel", CancelAsync).RequireAuthorization(Policies.Operate);
        api.MapPost("/sweeps/{id:long}/resume", ResumeAsync).RequireAuthorization(Policies.Operate);
        return api;
    }

    private static async Task<IResult> ListAsync(IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return Results.Ok(await SweepQuery.ListAsync(db, ct));
    }

    private static async Task<IResult> GetAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await SweepQuery.GetAsync(db, id, ct) is { } sweep ? Results.Ok(sweep) : ApiResults.NotFound($"Sweep {id} does not exist.");
    }

    private static async Task<IResult> LaunchAsync(JsonElement? body, SweepLauncher launcher, CancellationToken ct)
    {
        SweepDefinition sweep;
        try
        {
            sweep = body is { ValueKind: JsonValueKind.Object } json
                ? SweepDefinition.FromJson(json.GetRawText())
                : throw new FormatException("Send a sweep: {\"name\", \"base\": {config}, \"grid\": {key: [values]}, \"seeds\": [...]}.");
        }
        catch (FormatException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["sweep"] = [ex.Message] });
        }

        var result = await launcher.LaunchAsync(sweep, ct);
        return result.SweepId is { } id ? Results.Created($"/api/sweeps/{id}", new { Id = id }) : ApiResults.Invalid(result.Errors);
    }

    private static async Task<IResult> CancelAsync(long id, SweepLauncher launcher, CancellationToken ct) =>
        await launcher.CancelAsync(id, ct) is { } cancelled
            ? Results.Accepted($"/api/sweeps/{id}", new { Cancelled = cancelled })
            : ApiResults.NotFound($"Sweep {id} does not exist.");

    private static async Task<IResult> ResumeAsync(long id, SweepLauncher launcher, CancellationToken ct) =>
        await launcher.ResumeAsync(id, ct) is { } outcome
            ? Results.Accepted($"/api/sweeps/{id}", new { outcome.Resumed, outcome.Problems })
            : ApiResults.NotFound($"Sweep {id} does not exist.");
}
