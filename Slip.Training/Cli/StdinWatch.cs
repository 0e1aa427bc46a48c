namespace Slip.Training.Cli;

/// <summary>
/// A child's stdin, as the process that started it keeps it: a line <c>cancel</c> asks to stop after the current step,
/// and end of input means that process is gone. With <see cref="ExitWithParentVariable"/> set to 1 (the dashboard's
/// workers set it for every trainer and evaluator they start), the child then kills itself at once: a worker host
/// that was killed (SIGKILL, out of memory) leaves no orphan training beside the attempt another worker resumes.
/// Without it, end of input means nothing (a headless run may have no stdin at all).
/// </summary>
public static class StdinWatch
{
    public const string ExitWithParentVariable = "SLIP_EXIT_WITH_PARENT";

    /// <summary>Starts watching on a background thread; <paramref name="cancel"/> is called for each <c>cancel</c> line.</summary>
    public static void Start(Action? cancel)
    {
        var exitWithParent = Environment.GetEnvironmentVariable(ExitWithParentVariable) == "1";
        if (cancel is null && !exitWithParent)
        {
            return;
        }

        new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                if (line.Trim() == "cancel")
                {
                    cancel?.Invoke();
                }
            }

            if (exitWithParent)
            {
                Console.Error.WriteLine("The worker that started this process is gone (its stdin closed); stopping at once so no other process trains this run beside a resumed attempt.");
                Console.Error.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        })
        { IsBackground = true, Name = "stdin-watch" }.Start();
    }
}
