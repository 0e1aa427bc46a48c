using System.Security.Cryptography;
using System.Text.Json;
using SkiaSharp;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;

namespace Slip.Training.Tests;

/// <summary>The reference's zero-shot catalog, built in: class names, templates, WNIDs and the metric each dataset reports.</summary>
public sealed class ZeroShotCatalogTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("slip-catalog-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void TheCatalogHoldsTheReferencesDatasetsClassesAndTemplates()
    {
        Assert.Equal(28, ZeroShotCatalog.Keys.Count);
        var imagenet = ZeroShotCatalog.Get("imagenet");
        Assert.Equal((1000, 7, 1000), (imagenet.Classes.Count, imagenet.Templates.Count, imagenet.Wnids!.Count));
        Assert.Equal(("n01440764", "tench", "n01443537", "goldfish"), (imagenet.Wnids[0], imagenet.Classes[0][0], imagenet.Wnids[1], imagenet.Classes[1][0]));
        Assert.Equal("itap of a {}.", imagenet.Templates[0]);
        Assert.Equal(["happy", "smiling"], ZeroShotCatalog.Get("fer2013").Classes[3]);
        Assert.Equal(
            (ReportedMetric.MeanPerClass, ReportedMetric.RocAuc, ReportedMetric.MeanOfTop1AndTop5, ReportedMetric.Top1),
            (ZeroShotCatalog.Get("pets").Metric, ZeroShotCatalog.Get("hateful_memes").Metric, ZeroShotCatalog.Get("kinetics700_frames").Metric, imagenet.Metric));
        Assert.Contains("has no dataset 'imagenet21k'", Assert.Throws<FormatException>(() => ZeroShotCatalog.Get("imagenet21k")).Message);
    }

    [Fact]
    public void TheShippedFilesAreTheOnesTheReadmeNames()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "Slip.sln")))
        {
            repository = repository.Parent!;
        }

        var folder = Path.Combine(repository.FullName, "Slip.Training", "Evaluation", "Catalog");
        var readme = File.ReadAllText(Path.Combine(folder, "README.md"));
        foreach (var file in new[] { "labels.json", "templates.json", "dataset_catalog.json", "imagenet_wnids.txt" })
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, file))));
            Assert.Contains($"`{file}` |", readme);
            Assert.Contains(sha, readme);
        }
    }

    [Fact]
    public void AWnidFolderTakesImageNetsNamesTemplatesAndClassIndices()
    {
        // A two-class slice of ImageNet val: goldfish first on disk order is irrelevant, the WNID decides the class.
        Image("n01443537", "a.png", SKColors.Orange);
        Image("n01440764", "b.png", SKColors.Green);
        var catalog = ZeroShotCatalog.Get("imagenet");
        var set = EvalSet.Load("imagenet-slice", new DatasetSource { Format = DatasetFormats.ImageFolder, Path = root }, train: false, imageSize: 16, limit: null, DataRoots.Unrestricted, catalog);

        Assert.Equal([0, 1], set.Labels);                                    // n01440764 tench is class 0, n01443537 goldfish class 1
        Assert.Equal(1000, set.Classes.ClassNames.Count);                   // the classifier is 1000-way, as the reference's
        Assert.Equal(catalog.Templates, set.Classes.Templates);
        Assert.Equal(7, set.Classes.Prompts(1).Count());
        Assert.Contains("a origami goldfish.", set.Classes.Prompts(1));

        Image("tench", "c.png", SKColors.Blue);
        var ex = Assert.Throws<InvalidDataException>(() => EvalSet.Load("x", new DatasetSource { Format = DatasetFormats.ImageFolder, Path = root }, false, 16, null, DataRoots.Unrestricted, catalog));
        Assert.Contains("not ImageNet WNIDs (tench)", ex.Message);
    }

    [Fact]
    public void SynonymsArePromptedWithEveryTemplateAndOtherDatasetsMapByFolderOrder()
    {
        var fer = ZeroShotCatalog.Get("fer2013");
        Assert.Equal(fer.Templates.Count * 3, fer.Captions.Prompts(6).Count());     // surprised, shocked, spooked

        var cifar = ZeroShotCatalog.Get("cifar10");
        Assert.Equal(Enumerable.Range(0, 10), cifar.ClassOfFolders(Enumerable.Range(0, 10).Select(i => $"class{i}").ToList(), root));
        Assert.Contains("has 3 class folders but the catalog's cifar10 has 10 classes", Assert.Throws<InvalidDataException>(() => cifar.ClassOfFolders(["a", "b", "c"], root)).Message);
    }

    [Fact]
    public void HatefulMemesReportsRocAucAndOneClassSlicesLeaveItOut()
    {
        // Folders map by position: "0" is not-hateful, "1" hateful.
        for (var i = 0; i < 3; i++)
        {
            Image("0", $"{i}.png", new SKColor((byte)(40 * i), 200, 90));
            Image("1", $"{i}.png", new SKColor(200, (byte)(40 * i), 60));
        }

        var release = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", "published_style_checkpoint.pt");
        JsonElement Metrics()
        {
            var output = Path.Combine(root, "results.json");
            Assert.Equal(0, Slip.Training.Cli.SlipCli.Run(["eval", "--checkpoint", release, "--format", "imagefolder", "--path", root, "--catalog", "hateful_memes",
                "--tasks", "zeroshot_classification", "--vision-heads", "2", "--text-heads", "2", "--out", output]));
            return JsonDocument.Parse(File.ReadAllText(output)).RootElement[0].GetProperty("metrics");
        }

        var both = Metrics();
        Assert.InRange(both.GetProperty("roc_auc").GetDouble(), 0, 100);
        Assert.Equal(both.GetProperty("roc_auc").GetDouble(), both.GetProperty("reported").GetDouble());

        // With no hateful images the AUC is undefined: left out, not NaN (which JSON cannot hold).
        foreach (var file in Directory.GetFiles(Path.Combine(root, "1")))
        {
            File.Delete(file);
        }

        var one = Metrics();
        Assert.False(one.TryGetProperty("roc_auc", out _));
        Assert.False(one.TryGetProperty("reported", out _));
    }

    [Fact]
    public void ACatalogRequestIsCheckedAgainstTheFoldersBeforeAnyWork()
    {
        var val = Path.Combine(root, "val");
        var train = Path.Combine(root, "train");
        var checkpoint = Path.Combine(root, "model.pt");
        File.WriteAllText(checkpoint, "x");
        foreach (var (split, wnid) in new[] { (val, "n01443537"), (train, "n01440764"), (train, "n01443537"), (train, "n01484850") })
        {
            Image(Path.Combine(split, wnid), "a.png", SKColors.Gray);
        }

        DatasetSource Folder(string path) => new() { Format = DatasetFormats.ImageFolder, Path = path };
        var model = new RunConfig().WithModelPreset("Micro");
        var request = new EvalRequest { Checkpoint = checkpoint, Dataset = "val", Test = Folder(val), Train = Folder(train), Catalog = "imagenet", Tasks = [EvalRequest.LinearProbeTask] };
        Assert.Empty(request.Check(model, DataRoots.Unrestricted));                               // train may hold more classes than val

        Image(Path.Combine(val, "n01491361"), "a.png", SKColors.Gray);                        // a val class train lacks
        Assert.Contains(request.Check(model, DataRoots.Unrestricted), e => e.Field == "TrainDataset" && e.Message.Contains("tiger shark", StringComparison.Ordinal));

        Image(Path.Combine(val, "sharks"), "a.png", SKColors.Gray);
        Assert.Contains(request.Check(model, DataRoots.Unrestricted), e => e.Field == nameof(EvalRequest.Dataset) && e.Message.Contains("not ImageNet WNIDs (sharks)", StringComparison.Ordinal));
    }

    [Fact]
    public void RocAucIsTheChanceAPositiveOutscoresANegative()
    {
        Assert.Equal(100, Metrics.RocAuc([0.9f, 0.8f, 0.1f, 0.2f], [1, 1, 0, 0]));
        Assert.Equal(0, Metrics.RocAuc([0.1f, 0.2f, 0.9f], [1, 1, 0]));
        Assert.Equal(87.5, Metrics.RocAuc([0.5f, 0.9f, 0.5f, 0.1f], [1, 1, 0, 0]));   // a tie (0.5 vs 0.5) counts half: 3.5 of 4 pairs
    }

    private void Image(string folder, string name, SKColor colour)
    {
        var path = Directory.CreateDirectory(Path.Combine(root, folder)).FullName;
        using var bitmap = new SKBitmap(20, 20);
        bitmap.Erase(colour);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(path, name), data.ToArray());
    }
}
