using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Training.Datasets.Sources;
using Slip.Training.Ssl;
using Slip.Web.Datasets;
using Slip.Web.Hosting;
using Slip.Web.Live;

namespace Slip.Web.Runs;

/// <summary>The outcome of a launch: the new run's id, or the problems with its config (nothing was queued).</summary>
public sealed record LaunchResult(long? RunId, IReadOnlyList<ConfigError> Errors)
{
    public bool Succeeded => RunId is not null;
}

/// <summary>Creates runs from validated configs and queues them; cancels runs.</summary>
public sealed class RunLauncher(IDbContextFactory<SlipDbContext> dbFactory, IBackgroundJobClient jobs, RunEventHub hub, IOptions<SlipOptions> options, DatasetRegistry datasets)
{
    public const int MaxNameLength = 200;

    public async Task<LaunchResult> LaunchAsync(string? name, RunConfig config, long? clonedFrom = null, CancellationToken cancellationToken = default)
    {
        var (prepared, errors) = await PrepareAsync(config, await datasets.NamesAsync(cancellationToken), cancellationToken: cancellationToken);
        if (ValidateName(name) is { } nameError)
        {
            errors = [.. errors, nameError];
        }

        if (errors.Count > 0)
        {
            return new LaunchResult(null, errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = NewRun(name, prepared);
        run.ClonedFromId = clonedFrom;
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        await EnqueueAsync(db, run.Id, cancellationToken);
        hub.Publish(new RunUpdate(run.Id, Status: RunStatus.Queued));
        return new LaunchResult(run.Id, []);
    }

    /// <summary>
    /// The config as it will be queued, or its problems: a registered dataset chosen by name brings its checked source
    /// (and its validation and test sets, unless the config names others), then the config is validated and its data
    /// locations are checked where the user is, before anything is queued: inside the data roots, present, readable.
    /// Sources already in <paramref name="checkedSources"/> (their JSON) are not read again.
    /// </summary>
    public async Task<(RunConfig Config, IReadOnlyList<ConfigError> Errors)> PrepareAsync(RunConfig config, IReadOnlyList<string> knownDatasets, HashSet<string>? checkedSources = null, CancellationToken cancellationToken = default)
    {
        if (config.Data.Source is null && await datasets.FindAsync(config.Data.Dataset, cancellationToken) is { } registered)
        {
            // Anyone reading config.json later sees exactly what was read.
            config = DatasetRegistry.Apply(registered, config);
        }

        var errors = config.Validate(knownDatasets).ToList();
        checkedSources ??= [];
        foreach (var (field, source) in new[] { (ConfigKeys.Of(c => c.Data.Source), config.Data.Source), (ConfigKeys.Of(c => c.Eval.Val), config.Eval.Val), (ConfigKeys.Of(c => c.Eval.Test), config.Eval.Test) })
        {
            if (source is null || errors.Count > 0 || !checkedSources.Add(System.Text.Json.JsonSerializer.Serialize(source, RunConfig.JsonOptions)))
            {
                continue;
            }

            try
            {
                DatasetProbe.Inspect(source, new DataRoots(options.Value.DataRoots), previewCount: 2, countShards: false);
            }
            catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
            {
                errors.Add(new ConfigError(field, ex.Message));
            }
        }

        return (config, errors);
    }

    /// <summary>A queued run record for a prepared config (not yet saved or queued).</summary>
    public static Run NewRun(string? name, RunConfig config) => new()
    {
        Name = string.IsNullOrWhiteSpace(name) ? DefaultName(config) : name.Trim(),
        Objective = config.ObjectiveLabel,
        Model = config.Model,
        Dataset = config.Data.Dataset,
        ConfigJson = config.ToJson(),
        Status = RunStatus.Queued,
        CreatedAt = DateTime.UtcNow,
    };

    /// <summary>Queues the training job for a run and records the job id and when it was queued (<paramref name="at"/>, default now).</summary>
    public async Task EnqueueAsync(SlipDbContext db, long runId, CancellationToken cancellationToken = default, DateTime? at = null)
    {
        var now = at ?? DateTime.UtcNow;
        var jobId = jobs.Enqueue<TrainingJob>(j => j.RunAsync(runId, null, CancellationToken.None));
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.JobId, jobId).SetProperty(r => r.QueuedAt, now), cancellationToken);
    }

    /// <summary>Requests cancellation: a queued run is cancelled at once, a running one is stopped by its job. False if the run is unknown or finished.</summary>
    public async Task<bool> CancelAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var flagged = await db.Runs
            .Where(r => r.Id == runId && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true), cancellationToken);
        if (flagged == 0)
        {
            return false;
        }

        // A queued run that no job has claimed yet is cancelled here; a claimed one is stopped by its job's watcher.
        var cancelledWhileQueued = await db.Runs
            .Where(r => r.Id == runId && r.Status == RunStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FinishedAt, DateTime.UtcNow), cancellationToken);
        if (cancelledWhileQueued == 1)
        {
            var jobId = await db.Runs.Where(r => r.Id == runId).Select(r => r.JobId).SingleAsync(cancellationToken);
            if (jobId is not null)
            {
                jobs.Delete(jobId);
            }

            hub.Publish(new RunUpdate(runId, Status: RunStatus.Cancelled));
        }

        return true;
    }

    /// <summary>
    /// Deletes a finished run: its record, metrics, attempts, checkpoints and evaluations, and its folder of outputs.
    /// Returns the problem instead when it is queued or running (cancel it first) or does not exist.
    /// </summary>
    public async Task<(bool Found, string? Problem)> DeleteAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var status = await db.Runs.Where(r => r.Id == runId).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is null)
        {
            return (false, $"Run {runId} does not exist.");
        }

        var deleted = await db.Runs.Where(r => r.Id == runId && r.Status != RunStatus.Queued && r.Status != RunStatus.Running).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return (true, $"Run {runId} is {status}: cancel it before deleting it.");
        }

        var folder = Path.GetDirectoryName(options.Value.CheckpointDirectory(runId))!;
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        hub.Publish(new RunUpdate(runId, Deleted: true));
        return (true, null);
    }

    /// <summary>The problem with a run name, or null if it is acceptable (empty means a generated name).</summary>
    public static ConfigError? ValidateName(string? name) =>
        name?.Trim().Length > MaxNameLength ? new ConfigError("Name", $"The name can be at most {MaxNameLength} characters.") : null;

    private static string DefaultName(RunConfig config) =>
        $"{config.Objective.ToString().ToLowerInvariant()}{(config.Ssl.Method == SslMethod.SimClr ? "" : "-" + EnumNames.Of(config.Ssl.Method))}-{config.Model.ToLowerInvariant().Replace('/', '-')}-{config.Data.Dataset}-e{config.Optim.Epochs}-s{config.Seed}";
}
