using System.Text.Json;
using Slip.Tests;
using Slip.Training.Cli;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;

namespace Slip.Training.Tests;

/// <summary>Evaluation requests: what is refused before any work (and on which field), and the eval verb's request file and events.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class EvalRequestTests
{
    private static readonly RunConfig Clip = TinyConfigs.Slip() with { Objective = Objective.Clip };

    private static Dictionary<string, string> Errors(EvalRequest request, RunConfig model, DataRoots roots) =>
        request.Check(model, roots).GroupBy(e => e.Field).ToDictionary(g => g.Key, g => string.Join(" | ", g.Select(e => e.Message)));

    [Fact]
    public void ARequestIsRefusedOnTheFieldAtFault()
    {
        var dir = DatasetFiles.TempFolder("evalreq");
        var checkpoint = Path.Combine(dir, "epoch_001.pt");
        File.WriteAllText(checkpoint, "stand-in: Check reads no weights");
        var roots = new DataRoots([dir]);
        var good = new EvalRequest { Checkpoint = checkpoint, Dataset = "shapes-mini" };
        Assert.Empty(good.Check(Clip, roots));

        Assert.Contains("was it deleted", Errors(good with { Checkpoint = Path.Combine(dir, "gone.pt") }, Clip, roots)["Checkpoint"]);
        Assert.Contains("takes 16 px images (4x4 patches of 4 px)", Errors(good with { ImageSize = 64 }, Clip, roots)["ImageSize"]);
        Assert.Contains("image-only (SSL) model", Errors(good, Clip with { Objective = Objective.SimClr }, roots)["Tasks"]);
        Assert.Empty(Errors(good with { Tasks = [EvalRequest.LinearProbeTask, EvalRequest.FineTuneTask] }, Clip with { Objective = Objective.SimClr }, roots));
        Assert.Contains("Unknown task 'knn'", Errors(good with { Tasks = ["knn"] }, Clip, roots)["Tasks"]);
        Assert.Contains("at least one task", Errors(good with { Tasks = [] }, Clip, roots)["Tasks"]);
        Assert.Contains("Unknown dataset 'imagenet'", Errors(good with { Dataset = "imagenet" }, Clip, roots)["Dataset"]);
        Assert.Contains("between 1 and 1000", Errors(good with { ProbeEpochs = 0 }, Clip, roots)["ProbeEpochs"]);
        Assert.Contains("at least 2", Errors(good with { Limit = 1 }, Clip, roots)["Limit"]);
    }

    [Fact]
    public void DatasetsMustSuitTheTasksAndImageFolderSplitsMustNameTheSameClasses()
    {
        var dir = DatasetFiles.TempFolder("evalsets");
        var checkpoint = Path.Combine(dir, "epoch_001.pt");
        File.WriteAllText(checkpoint, "x");
        var roots = new DataRoots([dir]);
        var test = DatasetFiles.ImageFolder(Path.Combine(dir, "val"), ["cat", "dog"], 2);
        var train = DatasetFiles.ImageFolder(Path.Combine(dir, "train"), ["cat", "dog"], 3);
        var three = DatasetFiles.ImageFolder(Path.Combine(dir, "train3"), ["cat", "dog", "eel"], 2);
        DatasetFiles.Shard(Path.Combine(dir, "captions.tar"), DatasetFiles.Samples(0, 4));
        DatasetSource Folder(string path) => new() { Format = DatasetFormats.ImageFolder, Path = path };
        var request = new EvalRequest { Checkpoint = checkpoint, Dataset = "val", Test = Folder(test), Tasks = [EvalRequest.ZeroShotTask, EvalRequest.LinearProbeTask] };

        Assert.Contains("choose the training image folder", Errors(request, Clip, roots)["TrainDataset"]);
        Assert.Empty(Errors(request with { Train = Folder(train) }, Clip, roots));
        Assert.Contains("has 3 classes but 'val' has 2", Errors(request with { Train = Folder(three) }, Clip, roots)["TrainDataset"]);
        Assert.Empty(Errors(request with { Tasks = [EvalRequest.ZeroShotTask] }, Clip, roots)); // zero-shot needs no training split

        File.WriteAllText(Path.Combine(test, "classes.json"), """{"classes": ["cat"]}""");
        Assert.Contains("names 1 classes but", Errors(request with { Train = Folder(train) }, Clip, roots)["Dataset"]);
        File.Delete(Path.Combine(test, "classes.json"));

        var shards = new DatasetSource { Format = DatasetFormats.WebDataset, Path = Path.Combine(dir, "captions.tar") };
        Assert.Contains("has captions but no classes", Errors(request with { Dataset = "captions", Test = shards }, Clip, roots)["Dataset"]);
        Assert.Empty(Errors(request with { Dataset = "captions", Test = shards, Tasks = [EvalRequest.RetrievalTask] }, Clip, roots));
        Assert.Contains("has class labels, not captions", Errors(request with { Tasks = [EvalRequest.RetrievalTask] }, Clip, roots)["Tasks"]);
        Assert.Contains("outside", Errors(request with { Test = Folder("/etc") }, Clip, roots)["Dataset"]);
    }

    [Fact]
    public void TheEvalVerbReadsARequestFileAndReportsProgressAsEvents()
    {
        var dir = DatasetFiles.TempFolder("evalverb");
        var config = TinyConfigs.Slip(batch: 32);
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, _ => { }, () => false).Run());
        var request = Path.Combine(dir, "request.json");
        File.WriteAllText(request, JsonSerializer.Serialize(new EvalRequest
        {
            Checkpoint = Path.Combine(dir, "epoch_001.pt"),
            Dataset = "shapes-mini",
            Tasks = [EvalRequest.FineTuneTask, EvalRequest.ZeroShotTask],
            FineTuneEpochs = 2,
        }, RunConfig.JsonOptions));
        var output = Path.Combine(dir, "results.json");
        var events = new StringWriter();
        var stdout = Console.Out;
        Console.SetOut(events);
        int code;
        try
        {
            code = SlipCli.Run(["eval", "--request", request, "--events", "--out", output]);
        }
        finally
        {
            Console.SetOut(stdout);
        }

        Assert.Equal(ExitCodes.Completed, code);
        var lines = events.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TrainerEvent.TryParse).OfType<TrainerEvent>().ToList();
        Assert.Equal(TrainerEvent.Started, lines[0].Type);
        Assert.Equal(TrainerEvent.Completed, lines[^1].Type);
        var progress = lines.Where(e => e.Type == TrainerEvent.Progress).ToList();
        Assert.Contains(progress, e => e.Message == "fine-tuning epoch 2/2");
        Assert.Equal(progress.Select(e => e.Step).Order(), progress.Select(e => e.Step));   // never goes backwards
        Assert.Equal(1000, progress[^1].Step);
        Assert.Equal([EvalRequest.ZeroShotTask, EvalRequest.FineTuneTask], lines.Where(e => e.Type == TrainerEvent.Metrics).Select(e => e.Message)); // the runner's order
        var results = JsonDocument.Parse(File.ReadAllText(output)).RootElement;
        Assert.InRange(results[1].GetProperty("metrics").GetProperty("ft_acc1").GetDouble(), 0, 100);

        // A refused request says why as a failed event, and exits with the usage code.
        File.WriteAllText(request, JsonSerializer.Serialize(new EvalRequest { Checkpoint = Path.Combine(dir, "epoch_001.pt"), ImageSize = 48 }, RunConfig.JsonOptions));
        events = new StringWriter();
        Console.SetOut(events);
        try
        {
            code = SlipCli.Run(["eval", "--request", request, "--events"]);
        }
        finally
        {
            Console.SetOut(stdout);
        }

        Assert.Equal(ExitCodes.Usage, code);
        var failed = events.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TrainerEvent.TryParse).Last(e => e is not null)!;
        Assert.Equal(TrainerEvent.Failed, failed.Type);
        Assert.Contains("ImageSize: This checkpoint's ViT takes 16 px", failed.Message);
        Directory.Delete(dir, recursive: true);
    }
}
