using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training.Evaluation;
using Slip.Web.Api;

namespace Slip.Web.Evaluations;

/// <summary>The evaluation API: queue an evaluation of a run's checkpoint, list a run's evaluations, read one, cancel one, download its results.</summary>
public static class EvaluationEndpoints
{
    public static RouteGroupBuilder MapEvaluationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/runs/{id:long}/evaluations", ListAsync).Succeeds<IReadOnlyList<EvaluationAnswer>>("A run's evaluations and their results.").Answers(404);
        api.MapPost("/runs/{id:long}/evaluations", QueueAsync).ForOperators().Succeeds<CreatedId>("Queues an evaluation of one of the run's checkpoints (zero-shot, linear probe, fine-tuning, retrieval).", StatusCodes.Status201Created).Answers(404).AnswersInvalid();
        api.MapGet("/evaluations/{id:long}", GetAsync).Succeeds<EvaluationAnswer>("An evaluation: its status, tasks and results.").Answers(404);
        api.MapPost("/evaluations/{id:long}/cancel", CancelAsync).ForOperators().Succeeds("Cancels a queued or running evaluation.", StatusCodes.Status202Accepted).Answers(404).Answers(409);
        api.MapGet("/evaluations/{id:long}/results.json", ResultsAsync).Succeeds<IReadOnlyList<EvalResult>>("An evaluation's results as a file, in clip_benchmark's shape.").Answers(404);
        return api;
    }

    private static async Task<IResult> ListAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct))
        {
            return ApiResults.NotFound($"Run {id} does not exist.");
        }

        var evaluations = await db.Evaluations.AsNoTracking().Where(e => e.RunId == id).OrderBy(e => e.Id).ToListAsync(ct);
        return Results.Ok(evaluations.Select(EvaluationAnswer.Of).ToList());
    }

    private static async Task<IResult> QueueAsync(long id, EvaluationOrder? order, EvaluationLauncher launcher, CancellationToken ct)
    {
        if (order is null)
        {
            return ApiResults.Invalid([new Training.ConfigError(nameof(EvaluationOrder.CheckpointId), "Say which checkpoint to evaluate (checkpointId).")]);
        }

        var launch = await launcher.QueueAsync(id, order, ct);
        return !launch.RunFound ? ApiResults.NotFound($"Run {id} does not exist.")
            : launch.EvaluationId is { } evaluationId ? Results.Created($"/api/evaluations/{evaluationId}", new CreatedId(evaluationId))
            : ApiResults.Invalid(launch.Errors);
    }

    private static async Task<IResult> GetAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct) is { } evaluation
            ? Results.Ok(EvaluationAnswer.Of(evaluation))
            : ApiResults.NotFound($"Evaluation {id} does not exist.");
    }

    private static async Task<IResult> CancelAsync(long id, EvaluationLauncher launcher, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        if (await launcher.CancelAsync(id, ct))
        {
            return Results.Accepted($"/api/evaluations/{id}");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var status = await db.Evaluations.Where(e => e.Id == id).Select(e => (RunStatus?)e.Status).SingleOrDefaultAsync(ct);
        return status is null
            ? ApiResults.NotFound($"Evaluation {id} does not exist.")
            : Results.Problem($"Evaluation {id} is already {status}; only queued or running evaluations can be cancelled.", statusCode: StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ResultsAsync(long id, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var evaluation = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct);
        return evaluation switch
        {
            null => ApiResults.NotFound($"Evaluation {id} does not exist."),
            { ResultsJson: { } json } => Results.File(System.Text.Encoding.UTF8.GetBytes(json), "application/json", $"run{evaluation.RunId}-eval{evaluation.Id}.json"),
            _ => ApiResults.NotFound($"Evaluation {id} has no results: it is {evaluation.Status}."),
        };
    }

}
