using System.Text.Json;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Sweeps;

/// <summary>
/// Trains a sweep's runs one after another on this machine, each into <c>run-NNN</c> under the sweep's folder, and
/// keeps each finished run's final numbers in its <c>scores.json</c>: the selection metric (on validation) and the
/// test metrics (the last epoch's zero-shot and the end-of-run probe). A run with a <c>scores.json</c> is not
/// trained again, so an interrupted sweep resumes where it stopped.
/// </summary>
public static class SweepRunner
{
    public static IReadOnlyList<SweepRunScores> Run(SweepPlan plan, SweepSelection selection, string folder, DataRoots roots, Action<PlannedRun, TrainingOutcome> finished, Func<bool> cancelled)
    {
        var scores = new List<SweepRunScores>();
        foreach (var run in plan.Runs)
        {
            if (cancelled())
            {
                break;
            }

            var dir = Path.Combine(folder, $"run-{run.Index:D3}");
            var file = Path.Combine(dir, "scores.json");
            if (File.Exists(file))
            {
                scores.Add(JsonSerializer.Deserialize<SweepRunScores>(File.ReadAllText(file), RunConfig.JsonOptions)! with { RunIndex = run.Index });
                continue;
            }

            var last = new Dictionary<string, double>();
            var outcome = new Trainer(run.Config, dir, e =>
            {
                foreach (var (name, value) in e.Type == TrainerEvent.Metrics ? e.Values ?? [] : [])
                {
                    last[name] = value;
                }
            }, cancelled, dataRoots: roots).Run();
            finished(run, outcome);
            if (outcome != TrainingOutcome.Completed)
            {
                continue;
            }

            var test = last.Where(kv => kv.Key.StartsWith(MetricNames.ZeroShotPrefix, StringComparison.Ordinal) || kv.Key.StartsWith(MetricNames.LinearProbePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            var score = new SweepRunScores(run.Index, last.TryGetValue(selection.LoggedMetric, out var s) ? s : null, test);
            File.WriteAllText(file, JsonSerializer.Serialize(score, RunConfig.JsonOptions));
            scores.Add(score);
        }

        return scores;
    }
}
