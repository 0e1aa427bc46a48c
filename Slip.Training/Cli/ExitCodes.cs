namespace Slip.Training.Cli;

/// <summary>
/// What the CLI's exit code means (also in the root command's help and the README). The worker treats anything but
/// <see cref="Completed"/> as a failure and shows the last stderr line or the <c>failed</c> event's message.
/// </summary>
public static class ExitCodes
{
    /// <summary>The work completed.</summary>
    public const int Completed = 0;

    /// <summary>Bad arguments, options, config or request: refused before any work, with the reason on stderr.</summary>
    public const int Usage = 2;

    /// <summary>
    /// The work failed: training stopped (a NaN loss, a crash), or a file could not be read or written while working
    /// (an unreadable config, an output folder that is not writable, a checkpoint deleted before its evaluation).
    /// </summary>
    public const int Failed = 3;

    /// <summary>Cancelled on request (a <c>cancel</c> line on stdin, SIGTERM or Ctrl+C).</summary>
    public const int Cancelled = 4;

    /// <summary>The lines that end the root command's help.</summary>
    public const string Help = """
        Exit codes:
          0  completed
          2  bad arguments, options, config or request (nothing was started)
          3  failed: training stopped (NaN loss, crash) or a file could not be read or written while working
          4  cancelled (a line 'cancel' on stdin, SIGTERM or Ctrl+C)
        """;

    /// <summary>
    /// The code for an error met while working: the machine's (a file that cannot be read or written) is a failure,
    /// anything else a refusal of the user's input.
    /// </summary>
    public static int For(Exception ex) => IsInputOutput(ex) ? Failed : Usage;

    /// <summary>A file or folder could not be read or written.</summary>
    public static bool IsInputOutput(Exception ex) => ex is IOException or UnauthorizedAccessException;
}
