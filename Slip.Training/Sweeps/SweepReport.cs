using System.Text.Json;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;

namespace Slip.Training.Sweeps;

/// <summary>Evaluates a request (its checkpoint set) and writes its results (a list of <see cref="EvalResult"/>) to a file; the outcome.</summary>
public delegate TrainingOutcome SweepEvaluator(EvalRequest request, string resultsFile);

/// <summary>An arm's best combination evaluated on every seed (<paramref name="Evaluated"/> of its runs were): each metric as mean ± std over them.</summary>
public sealed record SweepArmReport(string Arm, string Point, IReadOnlyList<int> Runs, int Evaluated, IReadOnlyDictionary<string, Stat> Metrics);

/// <summary>
/// A sweep's final evaluation (<see cref="SweepDefinition.Report"/>): each arm's best combination, chosen on
/// validation, evaluated on every seed's last checkpoint with the sweep's request, so that what is reported was
/// never used to choose. Each run's results are kept in <c>run-NNN/report.json</c> and not computed again.
/// </summary>
public static class SweepReport
{
    /// <summary>
    /// What is wrong with a sweep's report request, checked before anything trains against each arm's config (a
    /// zero-shot report cannot evaluate a SimCLR arm); fields are <c>report.FIELD</c>. The checkpoint is filled in
    /// per run later, so it is not checked here.
    /// </summary>
    public static IReadOnlyList<ConfigError> Check(EvalRequest request, SweepPlan plan, DataRoots roots) =>
        plan.Runs.GroupBy(r => r.Arm).Select(g => g.First())
            .SelectMany(run => request.Check(run.Config, roots).Where(e => e.Field != nameof(EvalRequest.Checkpoint))
                .Select(e => new ConfigError($"report.{JsonNamingPolicy.CamelCase.ConvertName(e.Field)}", plan.Runs.Select(r => r.Arm).Distinct().Count() > 1 ? $"{run.Arm}: {e.Message}" : e.Message)))
            .Distinct()
            .ToList();

    public static IReadOnlyList<SweepArmReport> Run(IReadOnlyList<SweepArm> arms, EvalRequest request, string folder, SweepEvaluator evaluate, Action<string> progress)
    {
        var reports = new List<SweepArmReport>();
        foreach (var arm in arms)
        {
            if (arm.Best is not { } best)
            {
                continue;
            }

            var metrics = new List<Dictionary<string, double>>();
            foreach (var index in best.Runs)
            {
                var dir = SweepFolder.RunFolder(folder, index);
                var file = Path.Combine(dir, SweepFolder.ReportFile);
                var checkpoint = Directory.Exists(dir) ? Directory.GetFiles(dir, "epoch_*.pt").Order(StringComparer.Ordinal).LastOrDefault() : null;
                // A native fault costs an attempt, as in training (SweepRunner.Attempts).
                for (var attempt = 0; attempt < SweepRunner.Attempts && !File.Exists(file) && checkpoint is not null; attempt++)
                {
                    progress($"evaluating {arm.Arm} run {index} ({Path.GetFileName(checkpoint)}){(attempt > 0 ? $", attempt {attempt + 1}" : "")}");
                    evaluate(request with { Checkpoint = checkpoint }, file);
                }

                if (File.Exists(file))
                {
                    metrics.Add(EvalResult.Merge(JsonSerializer.Deserialize<List<EvalResult>>(File.ReadAllText(file), RunConfig.JsonOptions) ?? []));
                }
            }

            var names = metrics.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal);
            reports.Add(new SweepArmReport(arm.Arm, best.Point, best.Runs, metrics.Count, names.ToDictionary(n => n, n => Stat.Of(metrics.Select(m => m.TryGetValue(n, out var v) ? v : (double?)null)))));
        }

        return reports;
    }
}
