using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Training.Sweeps;
using Slip.Web.Datasets;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Sweeps;

/// <summary>The outcome of queuing a sweep: its id, or every problem with it, keyed by field (nothing was queued).</summary>
public sealed record SweepLaunchResult(long? SweepId, IReadOnlyList<ConfigError> Errors);

/// <summary>
/// Queues a sweep: expands it through the cascade (<see cref="SweepPlan"/>), prepares every run as a single launch
/// would (registered datasets, validation, data locations), and only when all of them are fine stores the sweep and
/// its runs in one transaction and queues the runs. Cancels and resumes a whole sweep.
/// </summary>
public sealed class SweepLauncher(IDbContextFactory<SlipDbContext> dbFactory, RunLauncher launcher, RunResumer resumer, DatasetRegistry datasets, RunEventHub hub)
{
    public async Task<SweepLaunchResult> LaunchAsync(SweepDefinition sweep, CancellationToken ct = default)
    {
        var known = await datasets.NamesAsync(ct);
        var plan = SweepPlan.Expand(sweep, known);
        var errors = plan.Errors.ToList();
        if (sweep.Report is not null)
        {
            errors.Add(new ConfigError("report", "The dashboard does not run a sweep's report (sweep run on the command line does): leave \"report\" out, and set base.eval.tasksAtEnd to evaluate each run's last checkpoint."));
        }

        errors.AddRange(NameProblems(sweep.Name));

        var prepared = new List<(PlannedRun Run, RunConfig Config)>();
        var checkedSources = new HashSet<string>();
        foreach (var run in errors.Count == 0 ? plan.Runs : [])
        {
            var (config, problems) = await launcher.PrepareAsync(run.Config, known, checkedSources, ct);
            foreach (var problem in problems)
            {
                var error = new ConfigError(run.Values.ContainsKey(problem.Field) ? $"grid.{problem.Field}" : $"base.{problem.Field}", problem.Message);
                if (!errors.Contains(error))
                {
                    errors.Add(error);
                }
            }

            prepared.Add((run, config));
        }

        if (errors.Count > 0)
        {
            return new SweepLaunchResult(null, errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = new Sweep
        {
            Name = sweep.Name.Trim(),
            DefinitionJson = System.Text.Json.JsonSerializer.Serialize(sweep, RunConfig.JsonOptions),
            SelectMetric = sweep.Select.LoggedMetric,
            Minimize = sweep.Select.Minimize,
            RunCount = prepared.Count,
            CreatedAt = DateTime.UtcNow,
        };
        var runs = new List<Run>();
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            db.Sweeps.Add(stored);
            await db.SaveChangesAsync(ct);
            foreach (var (plannedRun, config) in prepared)
            {
                var run = RunLauncher.NewRun($"{stored.Name}-{plannedRun.Index:D3}", config);
                run.SweepId = stored.Id;
                run.SweepIndex = plannedRun.Index;
                run.SweepArm = plannedRun.Arm;
                run.SweepPoint = plannedRun.Point;
                run.Tags = RunTags.Normalise([Tag(stored.Id)]).Stored;
                runs.Add(run);
            }

            db.Runs.AddRange(runs);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        foreach (var run in runs)
        {
            await launcher.EnqueueAsync(db, run.Id, ct);
            hub.Publish(new RunUpdate(run.Id, Status: RunStatus.Queued));
        }

        return new SweepLaunchResult(stored.Id, []);
    }

    /// <summary>Why a sweep's name cannot be stored: its runs are named NAME-NNN, which must fit a run's name.</summary>
    public static IEnumerable<ConfigError> NameProblems(string name) => name.Trim().Length > RunLauncher.MaxNameLength - 5
        ? [new ConfigError("name", $"The sweep's name can be at most {RunLauncher.MaxNameLength - 5} characters.")]
        : [];

    /// <summary>The tag every run of a sweep carries, so the runs table can filter on it.</summary>
    public static string Tag(long sweepId) => $"sweep:{sweepId}";

    /// <summary>Cancels every queued or running run of the sweep; null when there is no such sweep, else how many were cancelled.</summary>
    public async Task<int?> CancelAsync(long sweepId, CancellationToken ct = default)
    {
        if (await RunIdsAsync(sweepId, [RunStatus.Queued, RunStatus.Running], ct) is not { } ids)
        {
            return null;
        }

        var cancelled = 0;
        foreach (var id in ids)
        {
            cancelled += await launcher.CancelAsync(id, ct) ? 1 : 0;
        }

        return cancelled;
    }

    /// <summary>
    /// Resumes every failed or cancelled run of the sweep from its last saved state (each as a new attempt); null when
    /// there is no such sweep, else the runs resumed and why the others could not be.
    /// </summary>
    public async Task<(int Resumed, IReadOnlyList<string> Problems)?> ResumeAsync(long sweepId, CancellationToken ct = default)
    {
        if (await RunIdsAsync(sweepId, [RunStatus.Failed, RunStatus.Cancelled], ct) is not { } ids)
        {
            return null;
        }

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Sweeps.Where(s => s.Id == sweepId).Select(s => s.ImportedFrom).SingleAsync(ct) is { } source)
            {
                return (0, [$"This sweep was trained at {source} and imported: resume it there with sweep run, then push it again with --into {sweepId}."]);
            }
        }

        var resumed = 0;
        var problems = new List<string>();
        foreach (var id in ids)
        {
            var result = await resumer.ResumeAsync(id, ct);
            if (result.Succeeded)
            {
                resumed++;
            }
            else if (result.Problem is { } problem)
            {
                problems.Add(problem);
            }
        }

        return (resumed, problems);
    }

    private async Task<List<long>?> RunIdsAsync(long sweepId, RunStatus[] statuses, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Sweeps.AnyAsync(s => s.Id == sweepId, ct))
        {
            return null;
        }

        return await db.Runs.Where(r => r.SweepId == sweepId && statuses.Contains(r.Status)).OrderBy(r => r.SweepIndex).Select(r => r.Id).ToListAsync(ct);
    }
}
