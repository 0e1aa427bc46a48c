using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training.Sweeps;
using Slip.Web.Api;

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
        api.MapGet("/sweeps", ListAsync).Succeeds<IReadOnlyList<SweepSummaryView>>("The sweeps, with their progress.");
        api.MapGet("/sweeps/{id:long}", GetAsync).Succeeds<SweepView>("A sweep: its runs, each arm's best config selected on validation, and its decision.").Answers(404);
        api.MapPost("/sweeps", LaunchAsync).ForOperators().Succeeds<CreatedId>("Launches a sweep: a base config, a grid, seeds and arms; every run is queued.", StatusCodes.Status201Created).AnswersInvalid();
        api.MapPost("/sweeps/import", ImportAsync).ForOperators().Succeeds<CreatedId>("Creates a sweep trained elsewhere (slip sweep push); nothing is queued.", StatusCodes.Status201Created).AnswersInvalid();
        api.MapPost("/sweeps/{id:long}/runs", ImportRunAsync).ForOperators().Succeeds<CreatedId>("Adds one run trained elsewhere to an imported sweep: its config, events and outcome.", StatusCodes.Status201Created).Answers(404).Answers(409).AnswersInvalid();
        api.MapPost("/sweeps/{id:long}/cancel", CancelAsync).ForOperators().Succeeds<SweepCancelled>("Cancels a sweep's queued and running runs.", StatusCodes.Status202Accepted).Answers(404);
        api.MapPost("/sweeps/{id:long}/resume", ResumeAsync).ForOperators().Succeeds<SweepResumed>("Resumes a sweep's failed and cancelled runs.", StatusCodes.Status202Accepted).Answers(404);
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
        if (Read("sweep", () => body is { ValueKind: JsonValueKind.Object } json
                ? SweepDefinition.FromJson(json.GetRawText())
                : throw new FormatException("Send a sweep: {\"name\", \"base\": {config}, \"grid\": {key: [values]}, \"seeds\": [...]}."), out var sweep) is { } refused)
        {
            return refused;
        }

        return Created(await launcher.LaunchAsync(sweep!, ct));
    }

    /// <summary><c>{"sweep": {definition}, "source": "host:folder"}</c>: creates an imported sweep (nothing is queued) and answers 201 with its id.</summary>
    private static async Task<IResult> ImportAsync(JsonElement? body, SweepImporter importer, CancellationToken ct)
    {
        if (Read("sweep", () => body is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("sweep", out var definition) && definition.ValueKind == JsonValueKind.Object
                ? SweepDefinition.FromJson(definition.GetRawText())
                : throw new FormatException("Send {\"sweep\": {the sweep as it was run}, \"source\": \"host:folder\"}."), out var sweep) is { } refused)
        {
            return refused;
        }

        var source = body!.Value.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
        return Created(await importer.CreateAsync(sweep!, source, ct));
    }

    /// <summary>One finished run of an imported sweep (<see cref="SweepRunImport"/>): 201, 400 with the problems, 404, or 409 when the sweep has it already.</summary>
    private static async Task<IResult> ImportRunAsync(long id, JsonElement? body, SweepImporter importer, CancellationToken ct)
    {
        if (Read("run", () => body is { ValueKind: JsonValueKind.Object } json
                ? SweepRunImport.FromJson(json.GetRawText())
                : throw new FormatException("Send a run: {\"index\", \"config\", \"outcome\", \"events\"}."), out var run) is { } refused)
        {
            return refused;
        }

        var result = await importer.AddRunAsync(id, run!, ct);
        return result switch
        {
            { RunId: { } runId } => Results.Created($"/api/runs/{runId}", new CreatedId(runId)),
            { NotFound: { } missing } => ApiResults.NotFound(missing),
            { Conflict: { } conflict } => Results.Problem(conflict, statusCode: StatusCodes.Status409Conflict),
            _ => ApiResults.Invalid(result.Errors),
        };
    }

    /// <summary>A request body read by <paramref name="read"/>; null, or a 400 under <paramref name="field"/> with the reason it cannot be read.</summary>
    private static IResult? Read<T>(string field, Func<T> read, out T? value)
        where T : class
    {
        try
        {
            value = read();
            return null;
        }
        catch (FormatException ex)
        {
            value = null;
            return Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [ex.Message] });
        }
    }

    /// <summary>201 with the sweep's id, or 400 with each problem under its field.</summary>
    private static IResult Created(SweepLaunchResult result) =>
        result.SweepId is { } id ? Results.Created($"/api/sweeps/{id}", new CreatedId(id)) : ApiResults.Invalid(result.Errors);

    private static async Task<IResult> CancelAsync(long id, SweepLauncher launcher, CancellationToken ct) =>
        await launcher.CancelAsync(id, ct) is { } cancelled
            ? Results.Accepted($"/api/sweeps/{id}", new SweepCancelled(cancelled))
            : ApiResults.NotFound($"Sweep {id} does not exist.");

    private static async Task<IResult> ResumeAsync(long id, SweepLauncher launcher, CancellationToken ct) =>
        await launcher.ResumeAsync(id, ct) is { } outcome
            ? Results.Accepted($"/api/sweeps/{id}", new SweepResumed(outcome.Resumed, outcome.Problems))
            : ApiResults.NotFound($"Sweep {id} does not exist.");
}
