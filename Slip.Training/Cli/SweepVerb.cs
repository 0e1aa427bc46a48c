using System.CommandLine;
using Slip.Training.Datasets.Sources;
using Slip.Training.Sweeps;

namespace Slip.Training.Cli;

/// <summary>
/// <c>sweep plan --file sweep.json [--out dir]</c>: expands a sweep into its runs through the cascade and validates
/// every config; prints one line per run (index, arm, seed, combination), or every error with its field and exit 2.
/// With <c>--out</c> it writes each run's complete config as <c>run-NNN.json</c>, ready for <c>train --config</c>.
/// </summary>
internal static class SweepVerb
{
    public static Command Create()
    {
        var file = CliOptions.ExistingFile("--file", "The sweep: {\"name\", \"base\": {config}, \"grid\": {key: [values]}, \"seeds\": [...], \"arms\", \"select\", \"random\", \"confirm\"}.", "Sweep file", required: true, helpName: "sweep.json");
        var output = new Option<string>("--out") { Description = "Write each run's complete config here as run-NNN.json.", HelpName = "dir" };
        var planRoots = CliOptions.DataRoots();
        var plan = new Command("plan", "Expand a sweep into its runs and check every config (and its report request); nothing is trained.") { file, output, planRoots };
        plan.SetAction(parsed =>
        {
            if (Load(parsed.GetRequiredValue(file), CliOptions.Roots(parsed, planRoots)) is not var (sweep, expanded))
            {
                return ExitCodes.Usage;
            }

            Console.WriteLine($"{sweep.Name}: {expanded.Runs.Count} runs, {expanded.Runs.Select(r => r.Arm).Distinct().Count()} arms, selected on {sweep.Select.Metric} ({sweep.Select.Split})");
            var folder = parsed.GetValue(output);
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            foreach (var run in expanded.Runs)
            {
                Console.WriteLine($"{run.Index,4}  {run.Arm}  seed {run.Seed}  {run.Point}");
                if (folder is not null)
                {
                    File.WriteAllText(Path.Combine(folder, $"run-{run.Index:D3}.json"), run.Config.ToJson());
                }
            }

            return ExitCodes.Completed;
        });
        var runFile = CliOptions.ExistingFile("--file", "The sweep file (as for sweep plan).", "Sweep file", required: true, helpName: "sweep.json");
        var runOutput = new Option<string>("--out") { Description = "The sweep's folder: run-NNN per run, and results.json.", Required = true, HelpName = "dir" };
        var threads = CliOptions.Threads();
        var dataRoots = CliOptions.DataRoots();
        var run = new Command("run", "Train a sweep's runs here, one after another (resuming: finished runs are kept), then choose each arm's best on validation and report it on test.")
        {
            runFile, runOutput, threads, dataRoots,
        };
        run.SetAction(parsed =>
        {
            CliOptions.PrepareTorch(parsed, threads);
            if (Load(parsed.GetRequiredValue(runFile), CliOptions.Roots(parsed, dataRoots)) is not var (sweep, expanded))
            {
                return ExitCodes.Usage;
            }

            var folder = parsed.GetRequiredValue(runOutput);
            Directory.CreateDirectory(folder);
            // The definition stays beside its runs: what sweep push sends, and what a reader of the folder needs.
            File.Copy(parsed.GetRequiredValue(runFile), Path.Combine(folder, SweepFolder.DefinitionFile), overwrite: true);
            var cancelled = 0;
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; Interlocked.Exchange(ref cancelled, 1); };
            // Each run trains in a child process, as on the dashboard's workers: a native crash costs an attempt, not the sweep.
            var options = new List<string>();
            if (parsed.GetValue(threads) is { } n)
            {
                options.AddRange(["--threads", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            if (parsed.GetValue(dataRoots) is { } roots)
            {
                options.AddRange(["--data-roots", roots]);
            }

            var scores = SweepRunner.Run(expanded, sweep.Select, folder, ChildProcessTrainer.Create(options),
                (r, outcome) => Console.Error.WriteLine($"run {r.Index + 1}/{expanded.Runs.Count} ({r.Arm}, seed {r.Seed}, {r.Point}): {EnumNames.Of(outcome)}"),
                () => Volatile.Read(ref cancelled) == 1);
            var arms = SweepSelector.Select(expanded, sweep.Select, scores);
            File.WriteAllText(Path.Combine(folder, "results.json"), System.Text.Json.JsonSerializer.Serialize(arms, RunConfig.JsonOptions));
            foreach (var arm in arms)
            {
                Console.WriteLine(arm.Best is { } best
                    ? $"{arm.Arm}: best {best.Point} | {sweep.Select.LoggedMetric} {best.Selection} | " + string.Join(", ", best.Test.Select(kv => $"{kv.Key} {kv.Value}"))
                    : $"{arm.Arm}: no combination finished on every seed");
            }

            if (sweep.Report is { } request && Volatile.Read(ref cancelled) == 0)
            {
                var reports = SweepReport.Run(arms, request, folder, ChildProcessTrainer.Evaluator(options), Console.Error.WriteLine);
                File.WriteAllText(Path.Combine(folder, SweepFolder.ReportFile), System.Text.Json.JsonSerializer.Serialize(reports, RunConfig.JsonOptions));
                foreach (var report in reports)
                {
                    var first = reports[0].Metrics;
                    Console.WriteLine($"{report.Arm} report ({report.Evaluated} of {report.Runs.Count} seeds evaluated): " + string.Join(", ", report.Metrics.Select(kv => $"{kv.Key} {kv.Value}"
                        + (report == reports[0] || !first.TryGetValue(kv.Key, out var other) ? "" : (kv.Value.NoiseVerdict(other) is { } verdict ? $" ({verdict})" : "")))));
                }
            }

            return scores.Count == expanded.Runs.Count ? ExitCodes.Completed : ExitCodes.Failed;
        });
        return new Command("sweep", "Sweeps: one base config over a grid of config keys and seeds.") { plan, run, SweepPushVerb.Create() };
    }

    /// <summary>
    /// The sweep in <paramref name="path"/> and its plan; null when it cannot be read or planned, or its report cannot
    /// be evaluated (data under <paramref name="roots"/>; null leaves the report unchecked), each reason on stderr with its field.
    /// </summary>
    internal static (SweepDefinition Sweep, SweepPlan Plan)? Load(string path, DataRoots? roots)
    {
        SweepDefinition sweep;
        try
        {
            sweep = SweepDefinition.FromJson(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return null;
        }

        var plan = SweepPlan.Expand(sweep);
        var errors = plan.Errors.Count == 0 && sweep.Report is { } report && roots is not null ? SweepReport.Check(report, plan, roots) : plan.Errors;
        foreach (var error in errors)
        {
            Console.Error.WriteLine($"{error.Field}: {error.Message}");
        }

        return errors.Count > 0 ? null : (sweep, plan);
    }
}
