using System.CommandLine;
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
        var plan = new Command("plan", "Expand a sweep into its runs and check every config; nothing is trained.") { file, output };
        plan.SetAction(parsed =>
        {
            SweepDefinition sweep;
            try
            {
                sweep = SweepDefinition.FromJson(File.ReadAllText(parsed.GetRequiredValue(file)));
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return ExitCodes.Usage;
            }

            var expanded = SweepPlan.Expand(sweep);
            foreach (var error in expanded.Errors)
            {
                Console.Error.WriteLine($"{error.Field}: {error.Message}");
            }

            if (expanded.Errors.Count > 0)
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
        return new Command("sweep", "Sweeps: one base config over a grid of config keys and seeds.") { plan };
    }
}
