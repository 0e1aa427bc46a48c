using System.Diagnostics;
using System.Text.Json;

namespace Slip.Training.Sweeps;

/// <summary>
/// Trains (and evaluates) a sweep's run in a child process (<c>dotnet Slip.Training.dll train --config F --out DIR --resume --progress
/// json</c>) and reads its events, as the dashboard's workers do: a native crash in libtorch ends that attempt, not
/// the sweep, and the next attempt resumes from the run's last saved state.
/// </summary>
public static class ChildProcessTrainer
{
    /// <summary>A trainer running <c>Slip.Training.dll</c> beside this assembly with these extra <c>train</c> options (threads, data roots).</summary>
    public static SweepTrainer Create(IReadOnlyList<string> options) => (config, folder, emit, cancelled) =>
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "sweep-run.json");
        File.WriteAllText(file, config.ToJson());
        using var process = Start(["train", "--config", file, "--out", folder, "--resume", "--progress", "json", .. options]);
        using var watch = new Timer(_ =>
        {
            if (cancelled() && !process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }, null, 500, 500);
        // Every event is also kept in the run's folder (appended across attempts), as the run's own log of its curves.
        using (var log = new StreamWriter(Path.Combine(folder, SweepFolder.EventsFile), append: true))
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (TrainerEvent.TryParse(line) is { } e)
                {
                    log.WriteLine(line);
                    emit(e);
                }
            }
        }

        process.WaitForExit();
        return cancelled() ? TrainingOutcome.Cancelled : process.ExitCode == 0 ? TrainingOutcome.Completed : TrainingOutcome.Failed;
    };

    /// <summary>An evaluator running <c>eval --request</c> in a child process with these extra options (threads, data roots).</summary>
    public static SweepEvaluator Evaluator(IReadOnlyList<string> options) => (request, resultsFile) =>
    {
        var file = Path.ChangeExtension(resultsFile, ".request.json");
        File.WriteAllText(file, JsonSerializer.Serialize(request, RunConfig.JsonOptions));
        using var process = Start(["eval", "--request", file, "--out", resultsFile, "--progress", "json", .. options]);
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? TrainingOutcome.Completed : TrainingOutcome.Failed;
    };

    /// <summary><c>dotnet Slip.Training.dll</c> (beside this assembly) with these arguments, reading its stdout.</summary>
    private static Process Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(DotnetHost.Path()) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments.Prepend(Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll")))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"The {start.ArgumentList[1]} process did not start.");
    }
}
