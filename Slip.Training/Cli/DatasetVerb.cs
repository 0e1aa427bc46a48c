using System.CommandLine;
using System.Text.Json;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Cli;

/// <summary>
/// <c>dataset --format F --path P</c>: checks a dataset as registration does (location, structure, first samples
/// decode) and prints its size and a preview as JSON, or the problem and exit code 2.
/// </summary>
internal static class DatasetVerb
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "The dataset's format.", DefaultValueFactory = _ => DatasetFormats.WebDataset };
        format.AcceptOnlyFromAmong([.. DatasetFormats.Names]);
        var path = new Option<string>("--path")
        {
            Description = "A shard, brace pattern ({00000..00099}), shards joined by '::' or folder of .tar; a CSV/TSV manifest; an image folder; an IDX folder.",
            Required = true,
            HelpName = "location",
        };
        var imageColumn = new Option<string>("--image-column") { Description = "The manifest's image path column.", DefaultValueFactory = _ => "filepath", HelpName = "name" };
        var captionColumn = new Option<string>("--caption-column") { Description = "The manifest's caption column.", DefaultValueFactory = _ => "title", HelpName = "name" };
        var split = new Option<string>("--split") { Description = "Fashion-MNIST's split.", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "test");
        var dataRoots = CliOptions.DataRoots();
        var command = new Command("dataset", "Check a dataset as the dashboard's registration does, and print its size and a preview.")
        {
            format, path, imageColumn, captionColumn, split, dataRoots,
        };
        command.SetAction(parsed =>
        {
            var source = new DatasetSource
            {
                Format = parsed.GetRequiredValue(format),
                Path = parsed.GetRequiredValue(path),
                ImageColumn = parsed.GetRequiredValue(imageColumn),
                CaptionColumn = parsed.GetRequiredValue(captionColumn),
                Split = parsed.GetRequiredValue(split),
            };
            try
            {
                var summary = DatasetProbe.Inspect(source, CliOptions.Roots(parsed, dataRoots));
                Console.WriteLine(JsonSerializer.Serialize(new { Source = source, summary.Count, summary.Preview }, RunConfig.JsonOptions));
                return ExitCodes.Completed;
            }
            catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
            {
                // What is wrong with the dataset (a missing path included) is this verb's answer: a refusal, code 2.
                Console.Error.WriteLine(ex.Message);
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
