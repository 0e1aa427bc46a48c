using System.CommandLine;

namespace Slip.Training.Cli;

/// <summary><c>validate --config run.json</c>: checks a run config and prints it complete, with every default applied.</summary>
internal static class ValidateVerb
{
    public static Command Create()
    {
        var config = CliOptions.Config();
        var command = new Command("validate", "Check a run config and print it complete (every default applied).") { config };
        command.SetAction(parsed =>
        {
            var valid = CliOptions.LoadConfig(parsed.GetRequiredValue(config));
            if (valid is null)
            {
                return ExitCodes.Usage;
            }

            Console.WriteLine(valid.ToJson());
            return ExitCodes.Completed;
        });
        return command;
    }
}
