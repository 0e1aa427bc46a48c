using System.Diagnostics;
using Spectre.Console;

namespace Slip.Training.Cli;

/// <summary>
/// Shows a run's events to a person, through <see cref="ProgressStatus"/>: on a terminal a live progress bar with the
/// status line (Spectre.Console), elsewhere one line per logged loss or new phase; checkpoints, scores and the outcome
/// as lines of their own. The JSON lines the worker reads are written by the verbs, never here.
/// </summary>
internal static class HumanProgress
{
    /// <summary>Runs <paramref name="work"/>, handing it the sink for its events, and shows them as they come.</summary>
    public static T Run<T>(int epochs, Func<Action<TrainerEvent>, T> work)
    {
        var status = new ProgressStatus(epochs);
        var clock = Stopwatch.StartNew();
        if (Console.IsOutputRedirected)
        {
            var output = Console.Out;
            return work(e =>
            {
                if (status.Observe(e, clock.Elapsed))
                {
                    output.WriteLine(status.Line);
                }

                if (ProgressStatus.Note(e, clock.Elapsed) is { } note)
                {
                    output.WriteLine(note);
                }

                output.Flush();
            });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(status.Line), maxValue: 1);
                return work(e =>
                {
                    status.Observe(e, clock.Elapsed);
                    task.Description = Markup.Escape(status.Line);
                    task.Value = status.Fraction;
                    if (ProgressStatus.Note(e, clock.Elapsed) is { } note)
                    {
                        console.WriteLine(note);
                    }
                });
            });
    }
}
