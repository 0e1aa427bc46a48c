using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Web.Api;
using Slip.Web.Hosting;

namespace Slip.Web.Runs;

/// <summary>Request body of POST /api/runs: an optional name and a run config (keys left out take the cascade's defaults).</summary>
public sealed record LaunchRequest(string? Name, System.Text.Json.JsonElement? Config);

/// <summary>The runs API: launch, inspect, cancel and delete runs, read their metrics, download their checkpoints.</summary>
public static class RunEndpoints
{
    public static RouteGroupBuilder MapRunApi(this RouteGroupBuilder api)
    {
        api.MapGet("/runs/{id:long}", GetRunAsync).Succeeds<RunDetail>("A run: its status, progress, config and checkpoints.").Answers(404);
        api.MapPost("/runs", LaunchAsync).ForOperators().Succeeds<CreatedId>("Launches a run from a config (keys left out take the cascade's defaults) and queues it.", StatusCodes.Status201Created).AnswersInvalid();
        api.MapPost("/runs/{id:long}/cancel", CancelAsync).ForOperators().Succeeds("Cancels a queued or running run (a running trainer saves its state first).", StatusCodes.Status202Accepted).Answers(404).Answers(409);
        api.MapDelete("/runs/{id:long}", DeleteAsync).ForOperators().Succeeds("Deletes a run that is not queued or running, with its points and checkpoint files.", StatusCodes.Status204NoContent).Answers(404).Answers(409);
        api.MapGet("/runs/{id:long}/metrics/{name}", MetricAsync).Succeeds<IReadOnlyList<MetricPointAnswer>>("Every point of one metric of a run: step, epoch, value, time.").Answers(404);
        api.MapGet("/runs/{id:long}/series/{name}", SeriesAsync).Succeeds<Series>("One metric over a step range (from, to): raw points when few, else buckets (last, min, max and count of each), optionally smoothed (ema:W, mean:N).").Answers(400).Answers(404);
        api.MapGet("/runs/{id:long}/summaries", SummariesAsync).Succeeds<IReadOnlyList<MetricSummaryAnswer>>("Each metric's summary: count, first and last step, last, min, max and best values.").Answers(404);
        api.MapGet("/checkpoints/{id:long}/download", DownloadAsync).Succeeds("Downloads a checkpoint file (a PyTorch state dict), after checking its sha256; supports ranges.", contentType: "application/octet-stream").Answers(404).Answers(409);
        api.MapGet("/runs/{id:long}/checkpoints/{alias}/download", AliasDownloadAsync).Succeeds("Downloads a run's checkpoint by alias: latest, epoch-N or best:METRIC.", contentType: "application/octet-stream").Answers(404).Answers(409);
        return api;
    }

    private static async Task<IResult> GetRunAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        var checkpoints = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Epoch)
            .Select(c => new CheckpointLink(c.Id, c.Epoch, c.Step, c.Bytes, c.Sha256, "/api/checkpoints/" + c.Id + "/download")).ToListAsync(ct);
        return Results.Ok(RunDetail.Of(run, checkpoints));
    }

    private static async Task<IResult> LaunchAsync(LaunchRequest? request, RunLauncher launcher, CancellationToken ct)
    {
        if (request?.Config is not { } json)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["config"] = ["A run config is required."] });
        }

        RunConfig config;
        try
        {
            config = RunConfig.FromJson(json.GetRawText());
        }
        catch (FormatException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["config"] = [ex.Message] });
        }

        var result = await launcher.LaunchAsync(request.Name, config, cancellationToken: ct);
        return result.RunId is { } id
            ? Results.Created($"/api/runs/{id}", new CreatedId(id))
            : ApiResults.Invalid(result.Errors);
    }

    private static async Task<IResult> CancelAsync(long id, RunLauncher launcher, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        if (await launcher.CancelAsync(id, ct))
        {
            return Results.Accepted($"/api/runs/{id}");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var status = await db.Runs.Where(r => r.Id == id).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(ct);
        return status is null
            ? ApiResults.NotFound($"Run {id} does not exist.")
            : Results.Problem($"Run {id} is already {status}; only queued or running runs can be cancelled.", statusCode: StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> DeleteAsync(long id, RunLauncher launcher, CancellationToken ct)
    {
        var (found, problem) = await launcher.DeleteAsync(id, ct);
        return !found ? ApiResults.NotFound(problem!)
            : problem is not null ? Results.Problem(problem, statusCode: StatusCodes.Status409Conflict)
            : Results.NoContent();
    }

    private static async Task<IResult> MetricAsync(long id, string name, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        var points = await MetricQueries.SeriesAsync(db, id, name);
        return Results.Ok(points.Select(p => new MetricPointAnswer(p.Step, p.Epoch, p.Value, p.Time)).ToList());
    }

    /// <summary>A chart's series: min/max/last buckets over [from, to] (about <c>buckets</c> of them), or the smoothed line.</summary>
    private static async Task<IResult> SeriesAsync(long id, string name, long? from, long? to, int? buckets, string? smoothing, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        var smooth = Smoothing.Parse(smoothing);
        if (smoothing is not null && smooth is null)
        {
            return Results.Problem($"Unknown smoothing '{smoothing}'. Use ema:W with 0 <= W < 1 (for example ema:0.6) or mean:N with N >= 1.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (buckets is < 10 or > 10_000 || (from is { } f && to is { } t && t < f))
        {
            return Results.Problem("buckets must be between 10 and 10000, and from at most to.", statusCode: StatusCodes.Status400BadRequest);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        if (!await db.MetricSummaries.AnyAsync(s => s.RunId == id && s.Name == name, ct))
        {
            return ApiResults.NotFound($"Run {id} has no metric '{name}'.");
        }

        var series = smooth is null
            ? await MetricSeries.DownsampleAsync(db, id, name, from, to, buckets ?? MetricSeries.DefaultBuckets, ct)
            : await smooth.SeriesAsync(db, id, name, from, to, buckets ?? MetricSeries.DefaultBuckets, ct);
        return Results.Ok(series);
    }

    /// <summary>Every metric of a run at a glance: count, first and last step, last, min, max and best with their steps.</summary>
    private static async Task<IResult> SummariesAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        var summaries = await db.MetricSummaries.AsNoTracking().Where(s => s.RunId == id).OrderBy(s => s.Name).ToListAsync(ct);
        return Results.Ok(summaries.Select(MetricSummaryAnswer.Of).ToList());
    }

    /// <summary>
    /// A checkpoint by alias (latest, epoch-N, best:METRIC). Serves the checkpoint an alias names directly (not a redirect, which HTTP clients follow without the
    /// Authorization header); Content-Location says which checkpoint it was.
    /// </summary>
    private static async Task<IResult> AliasDownloadAsync(long id, string alias, HttpContext http, IDbContextFactory<SlipDbContext> dbFactory, IOptions<SlipOptions> options, CheckpointIntegrity integrity, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        if (await CheckpointRetention.ResolveAsync(db, id, alias, ct) is { } checkpoint)
        {
            http.Response.Headers.ContentLocation = $"/api/checkpoints/{checkpoint.Id}/download";
            return await DownloadAsync(checkpoint.Id, dbFactory, options, integrity, ct);
        }

        return ApiResults.NotFound($"Run {id} has no checkpoint '{alias}'. Aliases: latest, epoch-N, best:METRIC (a metric logged at checkpoint steps, such as zeroshot_acc1).");
    }

    private static async Task<IResult> DownloadAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, IOptions<SlipOptions> options, CheckpointIntegrity integrity, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var checkpoint = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (checkpoint is null)
        {
            return ApiResults.NotFound($"Checkpoint {id} does not exist.");
        }

        // Serve only files under the runs folder, whatever the row says, following links (a link out is refused).
        var root = Slip.Training.Datasets.Sources.DataRoots.RealPath(options.Value.RunsDirectory) + Path.DirectorySeparatorChar;
        var path = Slip.Training.Datasets.Sources.DataRoots.RealPath(checkpoint.FilePath);
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
        {
            return ApiResults.NotFound($"The file of checkpoint {id} is no longer on disk.");
        }

        // A truncated or corrupted file is refused with the reason rather than served as if it were the checkpoint.
        if (await integrity.ProblemAsync(checkpoint, ct) is { } problem)
        {
            return Results.Problem(problem, statusCode: StatusCodes.Status409Conflict);
        }

        return Results.File(path, "application/octet-stream", $"run{checkpoint.RunId}-epoch{checkpoint.Epoch:D3}.pt",
            enableRangeProcessing: true, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{checkpoint.Sha256}\""));
    }
}
