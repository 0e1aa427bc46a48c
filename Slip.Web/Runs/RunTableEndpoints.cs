using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Api;

namespace Slip.Web.Runs;

/// <summary>Body of PATCH /api/runs/{id}: new tags and/or notes (a field left out is unchanged).</summary>
public sealed record RunLabelsRequest(IReadOnlyList<string>? Tags, string? Notes);

/// <summary>Body of POST /api/runs/{id}/clone: a name and the config keys to change (a JSON merge patch on the run's config).</summary>
public sealed record CloneRequest(string? Name, JsonElement? Changes);

/// <summary>The runs table over HTTP (filtered, sorted, paged; as CSV), labels, cloning with a change, and config diffs.</summary>
public static class RunTableEndpoints
{
    public static RouteGroupBuilder MapRunTableApi(this RouteGroupBuilder api)
    {
        api.MapGet("/runs", ListAsync).Succeeds<RunTablePage>("The runs table: filtered (search, status, objective, model, dataset, tag), sorted (sort, desc; metric:NAME:last or :best), with metric columns (metrics) and paged (skip, take).").Answers(400);
        api.MapGet("/runs.csv", CsvAsync).Succeeds("The runs table with the same filters, as CSV.", contentType: "text/csv").Answers(400);
        api.MapPatch("/runs/{id:long}", LabelAsync).ForOperators().Succeeds<RunLabels>("Sets a run's tags and notes.").Answers(404).AnswersInvalid();
        api.MapPost("/runs/{id:long}/clone", CloneAsync).ForOperators().Succeeds<CreatedId>("Launches a copy of a run's config with changes applied through the cascade.", StatusCodes.Status201Created).Answers(404).AnswersInvalid();
        api.MapGet("/runs/{left:long}/diff/{right:long}", DiffAsync).Succeeds<IReadOnlyList<ConfigDifference>>("The config keys on which two runs differ (all=true: every key).").Answers(404);
        return api;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, int? skip, int? take, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        var (filter, metrics, error) = RunFilterQuery.Parse(k => request.Query[k].FirstOrDefault());
        if (filter is null)
        {
            return Results.Problem(error, statusCode: StatusCodes.Status400BadRequest);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (rows, total) = await RunQuery.PageAsync(db, filter, skip ?? 0, take ?? 100, metrics, ct);
        return Results.Ok(new RunTablePage(total, rows.Select(RunTableRow.Of).ToList()));
    }

    private static async Task<IResult> CsvAsync(HttpRequest request, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        var (filter, metrics, error) = RunFilterQuery.Parse(k => request.Query[k].FirstOrDefault());
        if (filter is null)
        {
            return Results.Problem(error, statusCode: StatusCodes.Status400BadRequest);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = new List<RunRow>();
        for (var skip = 0; ; skip += 500)
        {
            var (page, total) = await RunQuery.PageAsync(db, filter, skip, 500, metrics, ct);
            rows.AddRange(page);
            if (rows.Count >= total || page.Count == 0)
            {
                break;
            }
        }

        return Results.File(System.Text.Encoding.UTF8.GetBytes(RunFilterQuery.ToCsv(rows, metrics)), "text/csv", "slip-runs.csv");
    }

    private static async Task<IResult> LabelAsync(long id, RunLabelsRequest? body, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.Runs.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        if (body?.Tags is { } tags)
        {
            var (stored, error) = RunTags.Normalise(tags);
            if (error is not null)
            {
                return ApiResults.Invalid([new ConfigError("Tags", error)]);
            }

            run.Tags = stored;
        }

        if (body?.Notes is { } notes)
        {
            if (notes.Length > 10_000)
            {
                return ApiResults.Invalid([new ConfigError("Notes", "Notes can be at most 10,000 characters.")]);
            }

            run.Notes = notes;
        }

        await db.SaveChangesAsync(ct);
        return Results.Ok(new RunLabels(run.Id, RunTags.Parse(run.Tags), run.Notes));
    }

    private static async Task<IResult> CloneAsync(long id, CloneRequest? body, RunLauncher launcher, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var parent = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (parent is null)
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        RunConfig config;
        try
        {
            // The same cascade as the form: a changed objective, preset, SSL method or tokenizer brings its defaults
            // for what the changes leave out; everything else stays the parent's.
            var changes = body?.Changes is { ValueKind: JsonValueKind.Object } given ? JsonNode.Parse(given.GetRawText())!.AsObject() : [];
            config = ConfigCascade.Derive(RunConfig.FromJson(parent.ConfigJson), changes);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return ApiResults.Invalid([new ConfigError("changes", ex.Message)]);
        }

        var result = await launcher.LaunchAsync(body?.Name, config, id, ct);
        return result.RunId is { } newId ? Results.Created($"/api/runs/{newId}", new CreatedId(newId)) : ApiResults.Invalid(result.Errors);
    }

    private static async Task<IResult> DiffAsync(long left, long right, bool? all, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var configs = await db.Runs.AsNoTracking().Where(r => r.Id == left || r.Id == right).ToDictionaryAsync(r => r.Id, r => r.ConfigJson, ct);
        if (!configs.ContainsKey(left) || !configs.ContainsKey(right))
        {
            return ApiResults.NotFound($"Run {(configs.ContainsKey(left) ? right : left)} does not exist.");
        }

        return Results.Ok(ConfigDiff.Compare(configs[left], configs[right], all ?? false));
    }
}
