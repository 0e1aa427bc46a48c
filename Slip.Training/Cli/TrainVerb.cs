using System.CommandLine;
using System.Runtime.InteropServices;

namespace Slip.Training.Cli;

/// <summary>
/// <c>train --config run.json --out DIR</c>: trains, writing checkpoints and <c>resume/</c> into DIR. Progress goes to
/// stdout as JSON-lines events (what the worker reads) or, on a terminal, as a progress bar; a line <c>cancel</c> on
/// stdin, SIGTERM or Ctrl+C stop it after the current step.
/// </summary>
internal static class TrainVerb
{
    public static Command Create()
    {
        var config = CliOptions.Config();
        var output = new Option<string>("--out") { Description = "The run's folder: config.json, epoch_NNN.pt checkpoints, resume/ (created if missing).", Required = true, HelpName = "dir" };
        var resume = new Option<bool>("--resume") { Description = "Continue from --out's resume/ state when there is one (same config); else start at step 0." };
        var threads = CliOptions.Threads();
        var device = CliOptions.Device();
        var bpeVocabulary = CliOptions.BpeVocabulary();
        var dataRoots = CliOptions.DataRoots();
        var progress = CliOptions.Progress("Progress on stdout: human (a progress bar on a terminal), json (one event per line, what the worker reads), auto (human on a terminal, else json).");
        var command = new Command("train", "Train a model from a run config; progress as JSON-lines events or a progress bar.")
        {
            config, output, resume, device, threads, bpeVocabulary, dataRoots, progress,
        };
        command.SetAction(parsed =>
        {
            var run = CliOptions.LoadConfig(parsed.GetRequiredValue(config));
            if (run is null)
            {
                return ExitCodes.Usage;
            }

            CliOptions.PrepareTorch(parsed, threads);
            var trainer = (Action<TrainerEvent> emit, Func<bool> cancelled) => new Trainer(
                run, parsed.GetRequiredValue(output), emit, cancelled, CliOptions.BpeVocabularyPath(parsed, bpeVocabulary), parsed.GetValue(resume), CliOptions.Roots(parsed, dataRoots),
                TrainerFaults.FromEnvironment(), parsed.GetRequiredValue(device));
            return CliOptions.ShowsHuman(parsed, progress) ? HumanProgress.Run(run.Optim.Epochs, emit => Train(trainer, emit)) : Train(trainer, JsonLines);
        });
        return command;
    }

    /// <summary>The worker's format: one event per line, flushed at once.</summary>
    public static void JsonLines(TrainerEvent e)
    {
        Console.Out.WriteLine(e.ToJsonLine());
        Console.Out.Flush();
    }

    private static int Train(Func<Action<TrainerEvent>, Func<bool>, Trainer> create, Action<TrainerEvent> show)
    {
        var cancelled = 0;
        void RequestCancel() => Interlocked.Exchange(ref cancelled, 1);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; RequestCancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; RequestCancel(); });
        StdinWatch.Start(RequestCancel);

        void Emit(TrainerEvent e)
        {
            show(e);
            if (e.Type == TrainerEvent.Failed && e.Message is not null)
            {
                Console.Error.WriteLine(e.Message);
            }
        }

        TrainingOutcome outcome;
        try
        {
            outcome = create(Emit, () => Volatile.Read(ref cancelled) == 1).Run();
        }
        catch (Exception ex) when (ExitCodes.IsInputOutput(ex))
        {
            // The output folder (or a file the run reads) cannot be used: say which, without a stack trace.
            Emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = $"Training could not read or write a file: {ex.Message}" });
            outcome = TrainingOutcome.Failed;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The run's status shows this message; the stack trace goes to stderr for the log.
            Emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = $"Training crashed: {ex.GetType().Name}: {ex.Message}" });
            Console.Error.WriteLine(ex);
            outcome = TrainingOutcome.Failed;
        }

        return outcome switch
        {
            TrainingOutcome.Completed => ExitCodes.Completed,
            TrainingOutcome.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }
}
