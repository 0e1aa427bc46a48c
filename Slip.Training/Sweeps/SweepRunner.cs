using System.Text.Json;

namespace Slip.Training.Sweeps;

/// <summary>Trains one run's config into its folder, resuming from the folder's saved state when it has one, and reports its events.</summary>
public delegate TrainingOutcome SweepTrainer(RunConfig config, string folder, Action<TrainerEvent> emit, Func<bool> cancelled);

/// <summary>
/// Trains a sweep's runs one after another on this machine, each into <c>run-NNN</c> under the sweep's folder, and
/// keeps each finished run's final numbers in its <c>scores.json</c>: the selection metric (on validation) and the
/// test metrics (the last epoch's zero-shot and the end-of-run probe). A run with a <c>scores.json</c> is not
/// trained again, and one stopped part-way resumes from its last checkpoint, so an interrupted sweep continues where
/// it stopped. A failed attempt is tried again from its last checkpoint, up to <see cref="Attempts"/> in all, before the run counts as failed
/// (its <c>outcome.json</c> says so until a later <c>sweep run</c> tries it again).
/// </summary>
public static class SweepRunner
{
    /// <summary>
    /// Attempts per run: a crash (a native fault in libtorch, about one per thousand steps here; decision 0018) gets up
    /// to two more, each from the last checkpoint.
    /// </summary>
    public const int Attempts = 3;

    public static IReadOnlyList<SweepRunScores> Run(SweepPlan plan, SweepSelection selection, string folder, SweepTrainer train, Action<PlannedRun, TrainingOutcome> finished, Func<bool> cancelled)
    {
        var scores = new List<SweepRunScores>();
        foreach (var run in plan.Runs)
        {
            if (cancelled())
            {
                break;
            }

            var dir = SweepFolder.RunFolder(folder, run.Index);
            var file = Path.Combine(dir, SweepFolder.ScoresFile);
            if (File.Exists(file))
            {
                scores.Add(JsonSerializer.Deserialize<SweepRunScores>(File.ReadAllText(file), RunConfig.JsonOptions)! with { RunIndex = run.Index });
                continue;
            }

            var ended = Path.Combine(dir, SweepFolder.OutcomeFile);
            if (File.Exists(ended))
            {
                File.Delete(ended);
            }

            var last = new Dictionary<string, double>();
            var outcome = TrainingOutcome.Failed;
            for (var attempt = 0; attempt < Attempts && outcome == TrainingOutcome.Failed && !cancelled(); attempt++)
            {
                outcome = train(run.Config, dir, e =>
                {
                    foreach (var (name, value) in e.Type == TrainerEvent.Metrics ? e.Values ?? [] : [])
                    {
                        last[name] = value;
                    }
                }, cancelled);
            }

            finished(run, outcome);
            if (outcome != TrainingOutcome.Completed)
            {
                // Until a later sweep run tries it again, the folder says how it ended (what sweep push sends).
                Directory.CreateDirectory(dir);
                File.WriteAllText(ended, JsonSerializer.Serialize(new { Outcome = outcome == TrainingOutcome.Cancelled ? TrainerEvent.Cancelled : TrainerEvent.Failed }, RunConfig.JsonOptions));
                continue;
            }

            var test = last.Where(kv => kv.Key.StartsWith(MetricNames.ZeroShotPrefix, StringComparison.Ordinal) || kv.Key.StartsWith(MetricNames.LinearProbePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            var score = new SweepRunScores(run.Index, last.TryGetValue(selection.LoggedMetric, out var s) ? s : null, test);
            Directory.CreateDirectory(dir);
            File.WriteAllText(file, JsonSerializer.Serialize(score, RunConfig.JsonOptions));
            scores.Add(score);
        }

        return scores;
    }
}
