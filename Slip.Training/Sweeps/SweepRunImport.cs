using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Slip.Training.Evaluation;

namespace Slip.Training.Sweeps;

/// <summary>
/// One run of a sweep trained elsewhere (<c>sweep run</c>), as <c>sweep push</c> sends it to a dashboard: its place in
/// the plan, its config as trained, how it ended (<see cref="TrainerEvent.Completed"/>, <see cref="TrainerEvent.Failed"/>
/// or <see cref="TrainerEvent.Cancelled"/>), its events in the order logged (every attempt's), when it ran, a note
/// for the dashboard, and the report's evaluation of it when it was one of an arm's best.
/// </summary>
public sealed record SweepRunImport
{
    /// <summary>How the import travels: the API's JSON, with NaN and infinities (a diverged loss) kept.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(RunConfig.JsonOptions)
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public int Index { get; init; }

    public JsonObject Config { get; init; } = [];

    public string Outcome { get; init; } = TrainerEvent.Completed;

    public IReadOnlyList<TrainerEvent> Events { get; init; } = [];

    public DateTime? StartedAt { get; init; }

    public DateTime? FinishedAt { get; init; }

    /// <summary>What the dashboard should say about where the run came from and what is missing.</summary>
    public string? Note { get; init; }

    public SweepRunReport? Report { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads an import; throws <see cref="FormatException"/> with the reason.</summary>
    public static SweepRunImport FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SweepRunImport>(json, JsonOptions) ?? throw new FormatException("Send a run: {\"index\", \"config\", \"outcome\", \"events\"}.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The run is not valid JSON for an imported run: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The metric points that stand, in order: a resumed attempt (its <see cref="TrainerEvent.Started"/> event at the
    /// step it resumed from) supersedes what earlier attempts logged after that step, as a resume does on the dashboard.
    /// </summary>
    public IReadOnlyList<(string Name, long Step, double Epoch, double Value)> Points()
    {
        var points = new List<(string Name, long Step, double Epoch, double Value)>();
        foreach (var e in Events)
        {
            if (e.Type == TrainerEvent.Started)
            {
                points.RemoveAll(p => p.Step > e.Step);
            }
            else if (e.Type == TrainerEvent.Metrics)
            {
                points.AddRange((e.Values ?? []).Select(kv => (kv.Key, e.Step, e.Epoch, kv.Value)));
            }
        }

        return points;
    }
}

/// <summary>The report's evaluation of a run: the request as it was evaluated, and its results (clip_benchmark's shape).</summary>
public sealed record SweepRunReport(EvalRequest Request, IReadOnlyList<EvalResult> Results);
