using System.Text.Json;
using System.Text.Json.Nodes;
using Slip.Training.Evaluation;

namespace Slip.Training.Sweeps;

/// <summary>
/// Reads what <c>sweep run</c> left in a sweep's folder: <c>sweep.json</c> (the definition it ran), and per run
/// <c>run-NNN/</c> with the config the trainer wrote, <c>events.jsonl</c>, <c>scores.json</c> once it finished, and
/// <c>report.json</c> with <c>report.request.json</c> when the report evaluated it.
/// </summary>
public static class SweepFolder
{
    /// <summary>The definition <c>sweep run</c> keeps beside its runs.</summary>
    public const string DefinitionFile = "sweep.json";

    /// <summary>A finished run's final numbers (<see cref="SweepRunScores"/>).</summary>
    public const string ScoresFile = "scores.json";

    /// <summary>The report's evaluation of a run (and, in the sweep's folder, of every arm); its request beside it as <c>report.request.json</c>.</summary>
    public const string ReportFile = "report.json";

    /// <summary>A run's events, as the trainer reported them (every attempt's, appended).</summary>
    public const string EventsFile = "events.jsonl";

    /// <summary>Written in a run's folder when <c>sweep run</c> gave up on it (failed on every attempt, or cancelled).</summary>
    public const string OutcomeFile = "outcome.json";

    public static string RunFolder(string folder, int index) => Path.Combine(folder, $"run-{index:D3}");

    /// <summary>
    /// The run at <paramref name="index"/> as an import, or null with the reason it cannot be sent yet (never started,
    /// or still training, or stopped part-way and waiting for <c>sweep run</c> to resume it). It ended when it has
    /// <c>scores.json</c> (completed) or <see cref="OutcomeFile"/> (failed on every attempt, or cancelled).
    /// A folder from before <c>events.jsonl</c> was kept sends its final scores only (the selection metric named by
    /// <paramref name="selection"/> and the test metrics), at the run's last saved step, and says so.
    /// </summary>
    public static (SweepRunImport? Run, string? Skipped) Read(string folder, int index, SweepSelection selection)
    {
        var dir = RunFolder(folder, index);
        var configFile = new[] { "config.json", "sweep-run.json" }.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        if (configFile is null)
        {
            return (null, "not started");
        }

        var config = JsonNode.Parse(File.ReadAllText(configFile)) as JsonObject ?? throw new FormatException($"{configFile} is not a JSON object.");
        var eventsFile = Path.Combine(dir, EventsFile);
        var events = File.Exists(eventsFile)
            ? File.ReadLines(eventsFile).Select(TrainerEvent.TryParse).OfType<TrainerEvent>().ToList()
            : [];
        var scoresFile = Path.Combine(dir, ScoresFile);
        var finished = File.Exists(scoresFile);
        var outcomeFile = Path.Combine(dir, OutcomeFile);
        var outcome = finished ? TrainerEvent.Completed
            : File.Exists(outcomeFile) ? JsonNode.Parse(File.ReadAllText(outcomeFile))?["outcome"]?.GetValue<string>()
            : null;
        if (outcome is null)
        {
            return (null, "not finished");
        }

        string? note = null;
        if (events.Count == 0 && finished)
        {
            note = "This run's folder predates events.jsonl: only its final scores (scores.json) were imported, at its last saved step; it has no curves.";
            events = ScoresOnly(dir, scoresFile, selection);
        }

        return (new SweepRunImport
        {
            Index = index,
            Config = config,
            Outcome = outcome,
            Events = events,
            StartedAt = File.GetLastWriteTimeUtc(configFile),
            FinishedAt = File.GetLastWriteTimeUtc(finished ? scoresFile : outcomeFile),
            Note = note,
            Report = Report(dir),
        }, null);
    }

    /// <summary>A finished run's scores as one metrics event at the last step its saved state records.</summary>
    private static List<TrainerEvent> ScoresOnly(string dir, string scoresFile, SweepSelection selection)
    {
        var scores = JsonSerializer.Deserialize<SweepRunScores>(File.ReadAllText(scoresFile), RunConfig.JsonOptions)
            ?? throw new FormatException($"{scoresFile} is empty.");
        var state = Path.Combine(dir, "resume", "state.json");
        var step = File.Exists(state) && JsonNode.Parse(File.ReadAllText(state))?["Step"] is JsonValue s ? s.GetValue<long>() : 0;
        var values = new Dictionary<string, double>(scores.Test);
        if (scores.Selection is { } value)
        {
            values[selection.LoggedMetric] = value;
        }

        return
        [
            new TrainerEvent { Type = TrainerEvent.Started, Step = 0, TotalSteps = step },
            new TrainerEvent { Type = TrainerEvent.Metrics, Step = step, TotalSteps = step, Values = values },
            new TrainerEvent { Type = TrainerEvent.Completed, Step = step, TotalSteps = step },
        ];
    }

    private static SweepRunReport? Report(string dir)
    {
        var results = Path.Combine(dir, ReportFile);
        var request = Path.ChangeExtension(results, ".request.json");
        if (!File.Exists(results) || !File.Exists(request))
        {
            return null;
        }

        return new SweepRunReport(
            JsonSerializer.Deserialize<EvalRequest>(File.ReadAllText(request), RunConfig.JsonOptions) ?? throw new FormatException($"{request} is empty."),
            JsonSerializer.Deserialize<List<EvalResult>>(File.ReadAllText(results), RunConfig.JsonOptions) ?? []);
    }
}
