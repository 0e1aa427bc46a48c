using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Training.Sweeps;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Sweeps;

/// <summary>How adding an imported run went: stored (its id), refused (each problem under its field), or no such imported sweep / already there.</summary>
public sealed record RunImportResult(long? RunId, IReadOnlyList<ConfigError> Errors, string? NotFound = null, string? Conflict = null);

/// <summary>
/// Takes in sweeps trained elsewhere (<c>sweep push</c>): creates the sweep from its definition, then stores each run
/// as it ran, a record and not a job: its config, status and times, its points (a resumed attempt's supersede what
/// was logged after the step it resumed from), and its report evaluation. Nothing is queued, and no file is read
/// from the pushing machine's paths; checkpoints stay where they were trained.
/// </summary>
public sealed class SweepImporter(IDbContextFactory<SlipDbContext> dbFactory, RunEventHub hub)
{
    /// <summary>The tag every imported run carries, beside its sweep's.</summary>
    public const string ImportedTag = "imported";

    public async Task<SweepLaunchResult> CreateAsync(SweepDefinition sweep, string source, CancellationToken ct = default)
    {
        var plan = SweepPlan.Expand(sweep);
        var errors = plan.Errors.ToList();
        errors.AddRange(SweepLauncher.NameProblems(sweep.Name));
        if (string.IsNullOrWhiteSpace(source) || source.Length > 1000)
        {
            errors.Add(new ConfigError("source", "Say where the sweep's folder is (host:path), in at most 1000 characters."));
        }

        if (errors.Count > 0)
        {
            return new SweepLaunchResult(null, errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = new Sweep
        {
            Name = sweep.Name.Trim(),
            DefinitionJson = JsonSerializer.Serialize(sweep, RunConfig.JsonOptions),
            SelectMetric = sweep.Select.LoggedMetric,
            Minimize = sweep.Select.Minimize,
            RunCount = plan.Runs.Count,
            CreatedAt = DateTime.UtcNow,
            ImportedFrom = source.Trim(),
        };
        db.Sweeps.Add(stored);
        await db.SaveChangesAsync(ct);
        return new SweepLaunchResult(stored.Id, []);
    }

    public async Task<RunImportResult> AddRunAsync(long sweepId, SweepRunImport import, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sweepId, ct) is not { } sweep)
        {
            return new RunImportResult(null, [], NotFound: $"Sweep {sweepId} does not exist.");
        }

        if (sweep.ImportedFrom is null)
        {
            return new RunImportResult(null, [], Conflict: $"Sweep {sweepId} was queued on this dashboard; runs can only be added to an imported sweep.");
        }

        var plan = SweepPlan.Expand(SweepDefinition.FromJson(sweep.DefinitionJson));
        var (config, errors) = Check(import, plan);
        if (errors.Count > 0)
        {
            return new RunImportResult(null, errors);
        }

        var planned = plan.Runs[import.Index];
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.Runs.AnyAsync(r => r.SweepId == sweepId && r.SweepIndex == import.Index, ct))
        {
            return new RunImportResult(null, [], Conflict: $"Sweep {sweepId} already has run {import.Index}.");
        }

        var last = import.Events.LastOrDefault();
        var run = RunLauncher.NewRun($"{sweep.Name}-{import.Index:D3}", config!);
        run.Status = import.Outcome switch { TrainerEvent.Completed => RunStatus.Succeeded, TrainerEvent.Cancelled => RunStatus.Cancelled, _ => RunStatus.Failed };
        run.Error = run.Status == RunStatus.Failed ? import.Events.LastOrDefault(e => e.Type == TrainerEvent.Failed)?.Message ?? "The run failed where it was trained." : null;
        run.StartedAt = import.StartedAt?.ToUniversalTime();
        run.FinishedAt = import.FinishedAt?.ToUniversalTime();
        run.Step = last?.Step ?? 0;
        run.TotalSteps = last?.TotalSteps ?? 0;
        run.Progress = run.Status == RunStatus.Succeeded ? 1 : run.TotalSteps > 0 ? (double)run.Step / run.TotalSteps : 0;
        run.Worker = sweep.ImportedFrom.Split(':')[0];
        run.Notes = $"Imported from {SweepFolder.RunFolder(sweep.ImportedFrom, import.Index)}; its checkpoints stayed there." + (import.Note is { } note ? " " + note : "");
        run.SweepId = sweepId;
        run.SweepIndex = import.Index;
        run.SweepArm = planned.Arm;
        run.SweepPoint = planned.Point;
        run.Tags = RunTags.Normalise([SweepLauncher.Tag(sweepId), ImportedTag]).Stored;
        db.Runs.Add(run);
        await db.SaveChangesAsync(ct);

        var now = DateTime.UtcNow;
        await MetricIngest.WriteAsync(db, run.Id, import.Points().Select(p => new MetricRow(p.Name, p.Step, p.Epoch, p.Value, now)).ToList(), ct);
        if (import.Report is { } report)
        {
            db.Evaluations.Add(new Evaluation
            {
                RunId = run.Id,
                Epoch = config!.Optim.Epochs,
                Dataset = report.Request.Dataset,
                Tasks = string.Join(',', report.Request.OrderedTasks),
                RequestJson = JsonSerializer.Serialize(report.Request, RunConfig.JsonOptions),
                Status = RunStatus.Succeeded,
                CreatedAt = now,
                StartedAt = run.FinishedAt,
                FinishedAt = run.FinishedAt ?? now,
                Progress = 1,
                Worker = run.Worker,
                ResultsJson = JsonSerializer.Serialize(report.Results, RunConfig.JsonOptions),
            });
            await db.SaveChangesAsync(ct);
        }

        await transaction.CommitAsync(ct);
        hub.Publish(new RunUpdate(run.Id, Status: run.Status));
        return new RunImportResult(run.Id, []);
    }

    /// <summary>
    /// The run's config, or why it cannot be stored: an index outside the plan, a config that does not read, or one
    /// whose grid values or seed differ from the plan's at that index (a run from another sweep's folder).
    /// </summary>
    private static (RunConfig? Config, List<ConfigError> Errors) Check(SweepRunImport import, SweepPlan plan)
    {
        var errors = new List<ConfigError>();
        if (import.Index < 0 || import.Index >= plan.Runs.Count)
        {
            errors.Add(new ConfigError("index", $"The sweep plans runs 0 to {plan.Runs.Count - 1}; there is no run {import.Index}."));
            return (null, errors);
        }

        if (import.Outcome is not (TrainerEvent.Completed or TrainerEvent.Failed or TrainerEvent.Cancelled))
        {
            errors.Add(new ConfigError("outcome", $"A run is imported once it ended: outcome is completed, failed or cancelled, not '{import.Outcome}'."));
        }

        RunConfig config;
        try
        {
            config = RunConfig.FromJson(import.Config.ToJsonString());
        }
        catch (FormatException ex)
        {
            errors.Add(new ConfigError("config", ex.Message));
            return (null, errors);
        }

        var planned = plan.Runs[import.Index];
        var given = ConfigJson.ToNode(config);
        var expected = ConfigJson.ToNode(planned.Config);
        foreach (var key in planned.Values.Keys.Append(ConfigKeys.Of(c => c.Seed)))
        {
            ConfigJson.TryGet(given, key, out var value);
            ConfigJson.TryGet(expected, key, out var wanted);
            if (!JsonNode.DeepEquals(value, wanted))
            {
                errors.Add(new ConfigError("config", $"Run {import.Index}'s config has {key}={value?.ToJsonString()} where the sweep's plan has {wanted?.ToJsonString()}: is this the sweep's own folder?"));
            }
        }

        return (config, errors);
    }
}
