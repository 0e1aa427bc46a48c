using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Web.Datasets;
using Slip.Web.Hosting;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Evaluations;

/// <summary>
/// What a user asks for when evaluating one of a run's checkpoints: the dataset (built-in or registered; the run's own
/// when empty), a registered image folder to train probes on where the dataset needs one, the tasks and their settings.
/// </summary>
public sealed record EvaluationOrder
{
    public long CheckpointId { get; init; }

    public string? Dataset { get; init; }

    public string? TrainDataset { get; init; }

    /// <summary>The tasks; null means zero-shot, linear probe and retrieval (an empty list is refused).</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    public int? Limit { get; init; }

    public int? TrainLimit { get; init; }

    public int? ProbeEpochs { get; init; }

    /// <summary>A zero-shot catalog key (imagenet, cifar10, ...) naming an image folder's classes and templates; null: its folder names or classes.json.</summary>
    public string? Catalog { get; init; }

    /// <summary>The linear probe's protocol; null means the reference's (<see cref="EvalRequest.ProbeProtocol"/>).</summary>
    public ProbeProtocol? ProbeProtocol { get; init; }

    public int? FineTuneEpochs { get; init; }

    public int? ImageSize { get; init; }
}

/// <summary>The queued evaluation's id, or why nothing was queued; <see cref="RunFound"/> false when the run does not exist.</summary>
public sealed record EvaluationLaunch(long? EvaluationId, IReadOnlyList<ConfigError> Errors, bool RunFound = true);

/// <summary>Checks evaluation orders against the run's model, its checkpoint on disk and the datasets, then queues them; cancels them.</summary>
public sealed class EvaluationLauncher(IDbContextFactory<SlipDbContext> dbFactory, IBackgroundJobClient jobs, RunEventHub hub, IOptions<SlipOptions> options, DatasetRegistry datasets)
{
    public async Task<EvaluationLaunch> QueueAsync(long runId, EvaluationOrder order, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null)
        {
            return new EvaluationLaunch(null, [], RunFound: false);
        }

        var checkpoint = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.Id == order.CheckpointId && c.RunId == runId, ct);
        // The cheap checks here (the file is there, at its recorded length); the job checks the sha256 before loading.
        var problem = checkpoint is null ? $"Checkpoint {order.CheckpointId} is not one of run {runId}'s checkpoints." : CheckpointIntegrity.FileProblem(checkpoint);
        if (problem is not null)
        {
            return new EvaluationLaunch(null, [new ConfigError(nameof(EvaluationOrder.CheckpointId), problem)]);
        }

        var model = RunConfig.FromJson(run.ConfigJson);
        var errors = new List<ConfigError>();
        var dataset = string.IsNullOrWhiteSpace(order.Dataset) ? model.Data.Dataset : order.Dataset.Trim();
        var test = await SourceAsync(dataset, nameof(EvaluationOrder.Dataset), errors, ct);
        var train = string.IsNullOrWhiteSpace(order.TrainDataset) ? null : await SourceAsync(order.TrainDataset.Trim(), nameof(EvaluationOrder.TrainDataset), errors, ct);
        var defaults = new EvalRequest();
        var request = new EvalRequest
        {
            Checkpoint = checkpoint!.FilePath,
            Dataset = dataset,
            Test = test,
            Train = train,
            Tasks = order.Tasks ?? defaults.Tasks,
            Limit = order.Limit,
            TrainLimit = order.TrainLimit,
            ProbeEpochs = order.ProbeEpochs ?? defaults.ProbeEpochs,
            ProbeProtocol = order.ProbeProtocol ?? defaults.ProbeProtocol,
            Catalog = string.IsNullOrWhiteSpace(order.Catalog) ? null : order.Catalog.Trim(),
            FineTuneEpochs = order.FineTuneEpochs ?? defaults.FineTuneEpochs,
            ImageSize = order.ImageSize,
            Seed = model.Seed,
        };
        if (errors.Count == 0)
        {
            errors.AddRange(request.Check(model, new DataRoots(options.Value.DataRoots)));
        }

        if (errors.Count > 0)
        {
            return new EvaluationLaunch(null, errors);
        }

        var evaluation = new Evaluation
        {
            RunId = runId,
            CheckpointId = checkpoint.Id,
            Epoch = checkpoint.Epoch,
            Dataset = dataset,
            Tasks = string.Join(',', request.OrderedTasks),
            RequestJson = JsonSerializer.Serialize(request, RunConfig.JsonOptions),
            CreatedAt = DateTime.UtcNow,
        };
        db.Evaluations.Add(evaluation);
        await db.SaveChangesAsync(ct);
        await EnqueueAsync(db, evaluation.Id, ct);
        hub.Publish(new RunUpdate(runId, EvaluationChanged: true));
        return new EvaluationLaunch(evaluation.Id, []);
    }

    /// <summary>Queues the job for an evaluation and records its id and when it was queued (<paramref name="at"/>, default now).</summary>
    public async Task EnqueueAsync(SlipDbContext db, long evaluationId, CancellationToken ct = default, DateTime? at = null)
    {
        var now = at ?? DateTime.UtcNow;
        var jobId = jobs.Enqueue<EvaluationJob>(j => j.RunAsync(evaluationId, null, CancellationToken.None));
        await db.Evaluations.Where(e => e.Id == evaluationId).ExecuteUpdateAsync(s => s.SetProperty(e => e.JobId, jobId).SetProperty(e => e.QueuedAt, now), ct);
    }

    /// <summary>Cancels a queued evaluation at once, or asks its job to stop a running one. False if unknown or finished.</summary>
    public async Task<bool> CancelAsync(long evaluationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var flagged = await db.Evaluations
            .Where(e => e.Id == evaluationId && (e.Status == RunStatus.Queued || e.Status == RunStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.CancelRequested, true), ct);
        if (flagged == 0)
        {
            return false;
        }

        var now = DateTime.UtcNow;
        var whileQueued = await db.Evaluations.Where(e => e.Id == evaluationId && e.Status == RunStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, RunStatus.Cancelled).SetProperty(e => e.FinishedAt, now), ct);
        var evaluation = await db.Evaluations.AsNoTracking().SingleAsync(e => e.Id == evaluationId, ct);
        if (whileQueued == 1 && evaluation.JobId is not null)
        {
            jobs.Delete(evaluation.JobId);
        }

        hub.Publish(new RunUpdate(evaluation.RunId, EvaluationChanged: true));
        return true;
    }

    /// <summary>A built-in dataset is null (the evaluator renders it); a registered one is its source; anything else an error on <paramref name="field"/>.</summary>
    private async Task<DatasetSource?> SourceAsync(string name, string field, List<ConfigError> errors, CancellationToken ct)
    {
        if (DatasetCatalog.Names.Contains(name))
        {
            return field == nameof(EvaluationOrder.Dataset) ? null : Unusable($"'{name}' is a built-in dataset; it brings its own training split, so leave the training split empty.");
        }

        return await datasets.FindAsync(name, ct) is { } registered
            ? DatasetRegistry.SourceOf(registered)
            : Unusable($"No dataset named '{name}' is built in or registered.");

        DatasetSource? Unusable(string message)
        {
            errors.Add(new ConfigError(field, message));
            return null;
        }
    }
}
