using System.CommandLine;
using Slip.Training.Datasets;

namespace Slip.Training.Cli;

/// <summary><c>presets</c>: the model presets, built-in datasets and SSL methods a run config may name.</summary>
internal static class PresetsVerb
{
    public static Command Create()
    {
        var command = new Command("presets", "List the model presets, built-in datasets and SSL methods a run config may name.");
        command.SetAction(_ =>
        {
            Console.WriteLine("Models:   " + string.Join(", ", ModelPresets.Names));
            Console.WriteLine("Datasets: " + string.Join(", ", DatasetCatalog.Names));
            Console.WriteLine("SSL methods (ssl.method): " + string.Join(", ", EnumNames.All<Ssl.SslMethod>()));
            return ExitCodes.Completed;
        });
        return command;
    }
}
