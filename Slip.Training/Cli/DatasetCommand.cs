using System.Text.Json;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Cli;

/// <summary>
/// <c>dataset --format F --path P</c>: checks a dataset as registration does (location, structure, first samples
/// decode) and prints its size and a preview as JSON, or the problem and exit code 2.
/// </summary>
public static class DatasetCommand
{
    public static int Run(Dictionary<string, string> options, DataRoots roots)
    {
        if (!options.TryGetValue("path", out var path))
        {
            Console.Error.WriteLine("dataset needs --path (and --format: " + string.Join(", ", DatasetFormats.Names) + ").");
            return TrainCommand.ExitUsage;
        }

        var source = new DatasetSource
        {
            Format = options.GetValueOrDefault("format", DatasetFormats.WebDataset),
            Path = path,
            ImageColumn = options.GetValueOrDefault("image-column", "filepath"),
            CaptionColumn = options.GetValueOrDefault("caption-column", "title"),
            Split = options.GetValueOrDefault("split", "train"),
        };
        try
        {
            var summary = DatasetProbe.Inspect(source, roots);
            Console.WriteLine(JsonSerializer.Serialize(new { Source = source, summary.Count, summary.Preview }, RunConfig.JsonOptions));
            return TrainCommand.ExitCompleted;
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            Console.Error.WriteLine(ex.Message);
            return TrainCommand.ExitUsage;
        }
    }
}
