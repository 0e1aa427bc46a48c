using System.CommandLine;
using System.CommandLine.Invocation;

namespace Slip.Training.Cli;

/// <summary>
/// The headless CLI (what the worker runs as a child process): one root command with a verb per job. Unknown verbs,
/// unknown options and bad values are refused with exit code 2 before any work starts; every verb answers
/// <c>--help</c>. See <see cref="ExitCodes"/>.
/// </summary>
public static class SlipCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Slip: SLIP, CLIP and SimCLR language-image pre-training.\n\n" + ExitCodes.Help.TrimEnd())
        {
            // The same name in help whatever the host (dotnet Slip.Training.dll, the apphost, a test runner).
            HelpName = "Slip.Training",
        };
        Command[] verbs = [TrainVerb.Create(), EvalVerb.Create(), ValidateVerb.Create(), PresetsVerb.Create(), BenchVerb.Create(), DoctorVerb.Create(), DatasetVerb.Create(), TokenizeVerb.Create(), SweepVerb.Create(), .. CheckpointVerbs.Create()];
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the verb; the process's exit code.</summary>
    public static int Run(string[] args)
    {
        var root = Create();
        // No response files: a path that starts with '@' is a path.
        var parsed = root.Parse(args.Length == 0 ? ["--help"] : args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var stdout = Console.Out;
        var stderr = Console.Error;
        if (parsed.Action is ParseErrorAction refusal)
        {
            // The errors (and "did you mean" for a typo) on stderr, never stdout, which the worker reads; an unknown
            // verb is said once, not also as a missing one.
            var errors = new StringWriter();
            refusal.ShowHelp = false;
            parsed.Invoke(new InvocationConfiguration { Output = errors, Error = errors, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
            var missingVerb = root.Parse([]).Errors.Select(e => e.Message).FirstOrDefault();
            foreach (var line in errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (line != missingVerb || parsed.UnmatchedTokens.Count == 0)
                {
                    stderr.WriteLine(line);
                }
            }

            var verb = parsed.CommandResult.Command is RootCommand ? "" : " " + parsed.CommandResult.Command.Name;
            stderr.WriteLine($"See 'Slip.Training{verb} --help'.");
            return ExitCodes.Usage;
        }

        try
        {
            // The verbs handle cancellation themselves (train: a 'cancel' line, SIGTERM, Ctrl+C).
            var code = parsed.Invoke(new InvocationConfiguration { Output = args.Length == 0 ? stderr : stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
            return args.Length == 0 ? ExitCodes.Usage : code;
        }
        catch (Exception ex) when (ExitCodes.IsInputOutput(ex))
        {
            stderr.WriteLine(ex.Message);
            return ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stderr.WriteLine(ex);
            return ExitCodes.Failed;
        }
    }
}
