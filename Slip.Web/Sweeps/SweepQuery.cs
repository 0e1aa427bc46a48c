using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Training.Sweeps;
using Slip.Web.Evaluations;

namespace Slip.Web.Sweeps;

/// <summary>How far a sweep's runs have got.</summary>
public sealed record SweepProgress(int Total, int Queued, int Running, int Succeeded, int Failed, int Cancelled)
{
    /// <summary>Every run has ended (succeeded, failed or cancelled).</summary>
    public bool Ended => Queued + Running == 0;

    public string Status => !Ended ? (Running > 0 ? "Running" : "Queued") : Succeeded == Total ? "Succeeded" : Cancelled > 0 ? "Cancelled" : "Failed";

    public static SweepProgress Of(IReadOnlyCollection<RunStatus> statuses) => new(
        statuses.Count,
        statuses.Count(s => s == RunStatus.Queued),
        statuses.Count(s => s == RunStatus.Running),
        statuses.Count(s => s == RunStatus.Succeeded),
        statuses.Count(s => s == RunStatus.Failed),
        statuses.Count(s => s == RunStatus.Cancelled));
}

/// <summary>
/// One run of a sweep as its page and the API show it: the grid values it tries (as JSON values), its seed and
/// status, its selection metric (the last logged value, once it succeeded) and its test metrics: the last logged
/// zero-shot and probe values, and <c>eval.NAME</c> for each metric of its latest finished evaluation.
/// </summary>
public sealed record SweepRunView(long Id, int Index, string Name, string Arm, string Point, int Seed, IReadOnlyDictionary<string, JsonNode?> Values, string Status, double Progress, double? Selection, IReadOnlyDictionary<string, double> Test);

/// <summary>A sweep in a list; <see cref="ImportedFrom"/> is where a sweep trained elsewhere was pushed from.</summary>
public sealed record SweepSummaryView(long Id, string Name, DateTime CreatedAt, string SelectMetric, SweepProgress Progress, string? ImportedFrom);

/// <summary>
/// A sweep with its definition, progress, runs, and each arm's best combination (<see cref="SweepSelector"/>);
/// <see cref="ImportedFrom"/> is where a sweep trained elsewhere was pushed from (null when queued here), and
/// <see cref="Planned"/> how many runs its plan has (an imported sweep has only those pushed so far).
/// </summary>
public sealed record SweepView(long Id, string Name, DateTime CreatedAt, SweepDefinition Definition, string SelectMetric, bool Minimize, IReadOnlyList<string> Knobs, SweepProgress Progress, IReadOnlyList<SweepRunView> Runs, IReadOnlyList<SweepArm> Arms, string? ImportedFrom, int Planned);

/// <summary>Reads sweeps for the sweep pages and the API.</summary>
public static class SweepQuery
{
    public static async Task<IReadOnlyList<SweepSummaryView>> ListAsync(SlipDbContext db, CancellationToken ct = default)
    {
        var sweeps = await db.Sweeps.AsNoTracking().OrderByDescending(s => s.Id).ToListAsync(ct);
        var ids = sweeps.Select(s => (long?)s.Id).ToList();
        var statuses = (await db.Runs.AsNoTracking().Where(r => ids.Contains(r.SweepId)).Select(r => new { r.SweepId, r.Status }).ToListAsync(ct))
            .ToLookup(r => r.SweepId!.Value, r => r.Status);
        return sweeps.Select(s => new SweepSummaryView(s.Id, s.Name, s.CreatedAt, s.SelectMetric, SweepProgress.Of(statuses[s.Id].ToList()), s.ImportedFrom)).ToList();
    }

    public static async Task<SweepView?> GetAsync(SlipDbContext db, long id, CancellationToken ct = default)
    {
        if (await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is not { } sweep)
        {
            return null;
        }

        var definition = SweepDefinition.FromJson(sweep.DefinitionJson);
        var runs = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.SweepIndex).ToListAsync(ct);
        var runIds = runs.Select(r => r.Id).ToList();
        var summaries = (await db.MetricSummaries.AsNoTracking().Where(s => runIds.Contains(s.RunId)).ToListAsync(ct)).ToLookup(s => s.RunId);
        var evaluations = (await db.Evaluations.AsNoTracking().Where(e => runIds.Contains(e.RunId) && e.Status == RunStatus.Succeeded).ToListAsync(ct))
            .GroupBy(e => e.RunId).ToDictionary(g => g.Key, g => g.OrderBy(e => e.FinishedAt).Last());
        var knobs = definition.Grid.Keys.Select(k => SweepPlan.CanonicalKey(k) ?? k).ToList();

        var views = runs.Select(run =>
        {
            var config = ReadConfig(run.ConfigJson);
            var last = summaries[run.Id].ToDictionary(s => s.Name, s => s.Last);
            var test = last.Where(kv => !kv.Key.StartsWith(MetricNames.ValidationPrefix, StringComparison.Ordinal)
                    && (kv.Key.StartsWith(MetricNames.ZeroShotPrefix, StringComparison.Ordinal) || kv.Key.StartsWith(MetricNames.LinearProbePrefix, StringComparison.Ordinal)))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            if (evaluations.GetValueOrDefault(run.Id) is { } evaluation)
            {
                foreach (var (name, value) in EvaluationResults.Metrics(evaluation))
                {
                    test[$"eval.{name}"] = value;
                }
            }

            var values = knobs.ToDictionary(k => k, k => config is not null && ConfigJson.TryGet(config, k, out var v) ? v?.DeepClone() : null);
            var seed = config is not null && ConfigJson.TryGet(config, ConfigKeys.Of(c => c.Seed), out var s) && s is not null ? s.GetValue<int>() : 0;
            var selection = run.Status == RunStatus.Succeeded && last.TryGetValue(sweep.SelectMetric, out var score) ? score : (double?)null;
            return new SweepRunView(run.Id, run.SweepIndex ?? 0, run.Name, run.SweepArm ?? "", run.SweepPoint ?? "", seed, values, run.Status.ToString(), run.Progress, selection, test);
        }).ToList();

        var scores = views.Where(v => v.Selection is not null).Select(v => new SweepRunScores(v.Index, v.Selection, v.Test)).ToList();
        var arms = SweepSelector.Select(views.Select(v => new SweepSlot(v.Index, v.Arm, v.Point)), definition.Select, scores);
        return new SweepView(sweep.Id, sweep.Name, sweep.CreatedAt, definition, sweep.SelectMetric, sweep.Minimize, knobs, SweepProgress.Of(runs.Select(r => r.Status).ToList()), views, arms, sweep.ImportedFrom, sweep.RunCount);
    }

    /// <summary>A knob's value as a table shows it: text without JSON's quotes, anything else as JSON.</summary>
    public static string Display(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "";

    /// <summary>A knob's value as a number, or null when it is not one (an objective, a tokenizer).</summary>
    public static double? Number(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? v.GetValue<double>() : null;

    private static JsonObject? ReadConfig(string json)
    {
        try
        {
            return ConfigJson.ToNode(RunConfig.FromJson(json));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
