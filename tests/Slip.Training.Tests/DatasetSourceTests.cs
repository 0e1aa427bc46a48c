using System.Text;
using Slip.Tests;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Tests;

/// <summary>The dataset formats on real files: webdataset shards, CSV/TSV manifests, image folders, Fashion-MNIST.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class DatasetSourceTests
{
    private static readonly RunConfig Micro = new RunConfig { Optim = new OptimConfig { BatchSize = 8 }, Objective = Objective.Clip }.WithModelPreset("Micro");

    [Fact]
    public void ShardPatternsExpandAsWebDatasetDoes()
    {
        Assert.Equal(["d/00008.tar", "d/00009.tar", "d/00010.tar"], ShardPattern.Expand("d/{00008..00010}.tar"));
        Assert.Equal(["a-1-x.tar", "a-1-y.tar", "a-2-x.tar", "a-2-y.tar"], ShardPattern.Expand("a-{1..2}-{x,y}.tar"));
        Assert.Equal(["a.tar", "b/c.tar"], ShardPattern.Expand("a.tar::b/c.tar"));
        Assert.Throws<FormatException>(() => ShardPattern.Expand("d/{5..1}.tar"));
    }

    [Fact]
    public void ShardsStreamSamplesDeterministicallySplitAcrossRanksAndCountFromStats()
    {
        var dir = DatasetFiles.TempFolder("wds");
        for (var s = 0; s < 4; s++)
        {
            DatasetFiles.Shard(Path.Combine(dir, $"{s:D5}.tar"), DatasetFiles.Samples(s * 10, 10));
            File.WriteAllText(Path.Combine(dir, $"{s:D5}_stats.json"), """{"count": 12, "successes": 10}""");
        }

        var source = (WebDatasetSource)SampleSources.Open(new DatasetSource { Path = dir + "/{00000..00003}.tar", ShuffleBuffer = 16 }, new DataRoots([dir]));
        Assert.Equal(40, source.Count);
        string[] Keys(int epoch, int rank, int world) => source.Stream(3, epoch, rank, world, 0).Take(40 / world).Select(s => s.Key).ToArray();
        Assert.Equal(Keys(0, 0, 1), Keys(0, 0, 1));
        Assert.NotEqual(Keys(0, 0, 1), Keys(1, 0, 1));
        Assert.Equal(40, Keys(0, 0, 1).Distinct().Count());
        var (rank0, rank1) = (Keys(0, 0, 2), Keys(0, 1, 2));
        Assert.Empty(rank0.Intersect(rank1));
        Assert.Equal(40, rank0.Union(rank1).Count());
        // Skipping (resume) gives the same continuation without decoding what it skips.
        Assert.Equal(Keys(0, 0, 1)[5..], source.Stream(3, 0, 0, 1, skip: 5).Take(35).Select(s => s.Key));
        var sample = source.Stream(3, 0, 0, 1, 0).First();
        Assert.NotNull(sample.Encoded);
        Assert.StartsWith("a ", sample.Caption);
    }

    [Fact]
    public void BadSamplesAreSkippedAndCountedNeverCrashingTheEpoch()
    {
        var dir = DatasetFiles.TempFolder("wds-bad");
        var (jpeg, _) = DatasetFiles.Jpeg(1);
        var members = DatasetFiles.Samples(0, 14).Concat(
        [
            ("bad1.jpg", Encoding.ASCII.GetBytes("this is not an image")), ("bad1.txt", Encoding.UTF8.GetBytes("a caption")),
            ("bad2.jpg", jpeg[..(jpeg.Length / 2)]), ("bad2.txt", Encoding.UTF8.GetBytes("a truncated image")),
            ("bad3.jpg", jpeg),
            ("bad4.txt", Encoding.UTF8.GetBytes("a caption without an image")),
        ]);
        DatasetFiles.Shard(Path.Combine(dir, "00000.tar"), members);
        var config = Micro with { Data = Micro.Data with { Source = new DatasetSource { Path = dir }, EpochSamples = 16 } };
        var loader = new BatchLoader(SampleSources.Open(config, new DataRoots([dir])), config);
        var sizes = loader.Epoch(0).Select(b => { using (b) { return b.Size; } }).ToList();

        Assert.Equal(2, sizes.Count);
        Assert.Equal(16 - loader.Skipped, sizes.Sum());
        Assert.Equal(1, loader.SkippedByReason.GetValueOrDefault("not a decodable image"));
        Assert.Equal(1, loader.SkippedByReason.GetValueOrDefault("truncated image data"));
        Assert.Equal(1, loader.SkippedByReason.GetValueOrDefault("missing caption"));
        Assert.Equal(1, loader.SkippedByReason.GetValueOrDefault("no image (jpg, png or webp) in the sample"));
    }

    [Fact]
    public void ATruncatedShardEndsItsStreamWithAProblemInsteadOfAnException()
    {
        var dir = DatasetFiles.TempFolder("wds-cut");
        var path = Path.Combine(dir, "00000.tar");
        DatasetFiles.Shard(path, DatasetFiles.Samples(0, 6));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var samples = WebDatasetSource.ReadShard(path).ToList();
        Assert.InRange(samples.Count(s => s.Problem is null), 1, 5);
        Assert.Contains("truncated or corrupt", samples[^1].Problem);
    }

    [Fact]
    public void CsvManifestsReadQuotedCaptionsRelativePathsAndRefuseWhatIsOutsideTheRoots()
    {
        var dir = DatasetFiles.TempFolder("csv");
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        var lines = new StringBuilder("filepath,title\n");
        for (var i = 0; i < 10; i++)
        {
            var (jpeg, caption) = DatasetFiles.Jpeg(i);
            File.WriteAllBytes(Path.Combine(dir, "images", $"{i}.jpg"), jpeg);
            lines.Append($"images/{i}.jpg,\"{caption}, with a comma and \"\"quotes\"\"\"\n");
        }

        lines.Append("../outside.jpg,a file outside the root\n");
        File.WriteAllText(Path.Combine(dir, "train.csv"), lines.ToString());
        var source = (CsvManifestSource)SampleSources.Open(new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(dir, "train.csv") }, new DataRoots([dir]));
        Assert.Equal(11, source.Length);
        Assert.EndsWith("with a comma and \"quotes\"", source.Read(0).Caption);
        Assert.NotNull(source.Read(0).Encoded);
        Assert.StartsWith("outside the data roots", source.Read(10).Problem);

        File.WriteAllText(Path.Combine(dir, "bad.tsv"), "path\tcaption\nimages/0.jpg\ta\n");
        var ex = Assert.Throws<InvalidDataException>(() => SampleSources.Open(new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(dir, "bad.tsv") }, new DataRoots([dir])));
        Assert.Contains("no column 'filepath'", ex.Message);
        Assert.Contains("'path', 'caption'", ex.Message);
        var tsv = SampleSources.Open(new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(dir, "bad.tsv"), ImageColumn = "path", CaptionColumn = "caption" }, new DataRoots([dir]));
        Assert.Equal(1L, tsv.Count);
    }

    [Fact]
    public void ATsvCaptionStartingWithAQuoteKeepsItAndDoesNotSwallowTheRowsAfterIt()
    {
        // CC3M's TSV: captions are free text, and one may open a quote it never closes. TSV has no quoting: a tab ends
        // the field and a newline the row.
        var dir = DatasetFiles.TempFolder("tsv");
        var lines = new StringBuilder("title\tfilepath\r\n");
        for (var i = 0; i < 4; i++)
        {
            File.WriteAllBytes(Path.Combine(dir, $"{i}.jpg"), DatasetFiles.Jpeg(i).Jpeg);
        }

        lines.Append("\"the best day of my life\t0.jpg\r\n");
        lines.Append("a caption with \"quotes\" inside\t1.jpg\r\n");
        lines.Append("\"quoted\" at the start, then more\t2.jpg\r\n");
        lines.Append("plain\t3.jpg\r\n\r\n");
        File.WriteAllText(Path.Combine(dir, "train.tsv"), lines.ToString());
        var source = (CsvManifestSource)SampleSources.Open(new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(dir, "train.tsv") }, new DataRoots([dir]));

        Assert.Equal(4, source.Length);
        Assert.Equal(["\"the best day of my life", "a caption with \"quotes\" inside", "\"quoted\" at the start, then more", "plain"], Enumerable.Range(0, 4).Select(i => source.Read(i).Caption));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(File.ReadAllBytes(Path.Combine(dir, $"{i}.jpg")), source.Read(i).Encoded));
    }

    [Fact]
    public void ImageFoldersCaptionFromClassNamesAndTemplatesAndCheckClassesJson()
    {
        var dir = DatasetFiles.TempFolder("folder");
        foreach (var (cls, first) in new[] { ("n001", 0), ("n002", 5) })
        {
            Directory.CreateDirectory(Path.Combine(dir, cls));
            for (var i = first; i < first + 5; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, cls, $"{i}.jpg"), DatasetFiles.Jpeg(i).Jpeg);
            }
        }

        File.WriteAllText(Path.Combine(dir, "classes.json"), """{"classes": ["tench", "goldfish"], "templates": ["a photo of a {}.", "art of the {}."]}""");
        var source = ImageFolderSource.Open(dir);
        Assert.Equal(10, source.Length);
        Assert.Equal(("a photo of a goldfish.", 1), (source.Read(6).Caption, source.Read(6).Label));
        Assert.Equal("art of the tench.", source.Read(1).Caption);

        File.WriteAllText(Path.Combine(dir, "classes.json"), """{"classes": ["tench"]}""");
        Assert.Contains("names 1 classes but", Assert.Throws<InvalidDataException>(() => ImageFolderSource.Open(dir)).Message);
        var empty = DatasetFiles.TempFolder("folder-empty");
        Directory.CreateDirectory(Path.Combine(empty, "cat"));
        Assert.Contains("no images", Assert.Throws<InvalidDataException>(() => ImageFolderSource.Open(empty)).Message);
    }

    [Fact]
    public void FashionMnistIsReadFromDebiansIdxFiles()
    {
        const string folder = "/usr/share/datasets/fashion-mnist";
        Assert.True(Directory.Exists(folder), "test.sh installs Debian's dataset-fashion-mnist; run it or apt-get install dataset-fashion-mnist");
        var train = FashionMnistSource.Open(folder, "train");
        var test = FashionMnistSource.Open(folder, "test");
        Assert.Equal((60000, 10000), (train.Length, test.Length));
        Assert.Equal(9, train.Label(0)); // the first training image is an ankle boot
        Assert.Equal(Enumerable.Range(0, 10), Enumerable.Range(0, 60000).Select(train.Label).Distinct().Order());
        var sample = train.Read(0);
        Assert.Contains("ankle boot", sample.Caption);
        Assert.True(sample.Image!.Pixels.Max() > 0.9f && sample.Image.Pixels.Min() < 0.1f);
    }

    [Fact]
    public void PathsOutsideTheRootsAreRefusedIncludingThroughLinksAndDotDot()
    {
        var root = DatasetFiles.TempFolder("root");
        var outside = DatasetFiles.TempFolder("outside");
        File.WriteAllText(Path.Combine(outside, "secret.csv"), "filepath,title\n");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), outside);
        var roots = new DataRoots([root]);
        Assert.Null(roots.Resolve(Path.Combine(root, "escape", "secret.csv")));
        Assert.Null(roots.Resolve(Path.Combine(root, "..", Path.GetFileName(outside), "secret.csv")));
        Assert.Null(roots.Resolve(root + "-sibling/x.csv"));
        Assert.Equal(Path.Combine(DataRoots.RealPath(root), "a", "b.tar"), roots.Resolve(Path.Combine(root, "a", ".", "b.tar")));
        var ex = Assert.Throws<InvalidDataException>(() => DatasetProbe.Inspect(new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(root, "escape", "secret.csv") }, roots));
        Assert.Contains("outside the data roots", ex.Message);

        // A linked image inside an image folder that leads out of the roots is a skipped sample, never read.
        File.WriteAllBytes(Path.Combine(outside, "secret.jpg"), DatasetFiles.Jpeg(1).Jpeg);
        Directory.CreateDirectory(Path.Combine(root, "folder", "cat"));
        File.WriteAllBytes(Path.Combine(root, "folder", "cat", "a.jpg"), DatasetFiles.Jpeg(0).Jpeg);
        File.CreateSymbolicLink(Path.Combine(root, "folder", "cat", "b.jpg"), Path.Combine(outside, "secret.jpg"));
        var folder = (ImageFolderSource)SampleSources.Open(new DatasetSource { Format = DatasetFormats.ImageFolder, Path = Path.Combine(root, "folder") }, roots);
        Assert.NotNull(folder.Read(0).Encoded);
        Assert.Null(folder.Read(1).Encoded);
        Assert.StartsWith("outside the data roots", folder.Read(1).Problem);
    }

    [Fact]
    public void RegistrationChecksGiveClearErrors()
    {
        var dir = DatasetFiles.TempFolder("probe");
        var roots = new DataRoots([dir]);
        string Error(DatasetSource d) => Assert.Throws<InvalidDataException>(() => DatasetProbe.Inspect(d, roots)).Message;
        Assert.Contains("does not exist", Error(new DatasetSource { Path = Path.Combine(dir, "missing-{0..1}.tar") }));
        DatasetFiles.Shard(Path.Combine(dir, "empty.tar"), []);
        Assert.Contains("holds no samples", Error(new DatasetSource { Path = Path.Combine(dir, "empty.tar") }));
        Assert.Contains("no class subfolders", Error(new DatasetSource { Format = DatasetFormats.ImageFolder, Path = dir }));

        DatasetFiles.Shard(Path.Combine(dir, "good.tar"), DatasetFiles.Samples(0, 3));
        var summary = DatasetProbe.Inspect(new DatasetSource { Path = Path.Combine(dir, "good.tar") }, roots);
        Assert.Equal(3, summary.Count); // no stats files: counted from the member headers
        Assert.Equal(3, summary.Preview.Count);
        Assert.All(summary.Preview, p => Assert.Equal((48, 40, null), (p.Width, p.Height, p.Problem)));
    }

    [Fact]
    public void JpegsDecodeAtAReducedScaleWhenTheModelIsSmall()
    {
        var (jpeg, _) = DatasetFiles.Jpeg(3, width: 1024, height: 768);
        var (full, _) = ImageDecoder.Decode(jpeg, minShortSide: int.MaxValue);
        var (half, _) = ImageDecoder.Decode(jpeg, minShortSide: 336);
        var (eighth, _) = ImageDecoder.Decode(jpeg, minShortSide: 24);
        Assert.Equal((1024, 768), (full!.Width, full.Height));
        Assert.Equal((512, 384), (half!.Width, half.Height));
        Assert.Equal((128, 96), (eighth!.Width, eighth.Height));
    }

    [Fact]
    public void AnImageDeclaringMorePixelsThanTheLimitIsRefusedBeforeItIsDecoded()
    {
        // 54 bytes of BMP header claiming 30,000 x 30,000 24-bit pixels (2.7 GB decoded), and no pixels.
        var bomb = new byte[54];
        "BM"u8.CopyTo(bomb);
        BitConverter.GetBytes(54).CopyTo(bomb, 10);        // pixel data offset
        BitConverter.GetBytes(40).CopyTo(bomb, 14);        // BITMAPINFOHEADER
        BitConverter.GetBytes(30_000).CopyTo(bomb, 18);
        BitConverter.GetBytes(30_000).CopyTo(bomb, 22);
        BitConverter.GetBytes((short)1).CopyTo(bomb, 26);   // planes
        BitConverter.GetBytes((short)24).CopyTo(bomb, 28);  // bits per pixel

        var (image, problem) = ImageDecoder.Decode(bomb, minShortSide: 224);

        Assert.Null(image);
        Assert.Equal("30000 x 30000 pixels, more than the 89,478,485 an image may have (a decompression bomb?)", problem);
    }

    [Fact]
    public void ATinyRunTrainsOnAManifestAndReportsSkippedSamples()
    {
        var dir = DatasetFiles.TempFolder("csv-run");
        var lines = new StringBuilder("filepath,title\n");
        for (var i = 0; i < 40; i++)
        {
            var (jpeg, caption) = DatasetFiles.Jpeg(i);
            File.WriteAllBytes(Path.Combine(dir, $"{i}.jpg"), i == 7 ? jpeg[..100] : jpeg);
            lines.Append($"{i}.jpg,{caption}\n");
        }

        File.WriteAllText(Path.Combine(dir, "train.csv"), lines.ToString());
        var config = Micro with { Data = Micro.Data with { Dataset = "my-manifest", Source = new DatasetSource { Format = DatasetFormats.Csv, Path = Path.Combine(dir, "train.csv") } }, Optim = Micro.Optim with { Epochs = 2 }, Objective = Objective.Slip, LogEvery = 1 };
        var events = new List<TrainerEvent>();
        var outcome = new Trainer(config, Path.Combine(dir, "out"), events.Add, () => false, dataRoots: new DataRoots([dir])).Run();
        Assert.Equal(TrainingOutcome.Completed, outcome);
        var metrics = events.Where(e => e.Type == TrainerEvent.Metrics).ToList();
        Assert.Equal(10, metrics.Count); // 40 samples / 8 = 5 steps per epoch
        Assert.Equal(2, metrics[^1].Values!["data_skipped"]); // the truncated JPEG, once per epoch

        var refused = new Trainer(config, Path.Combine(dir, "out2"), events.Add, () => false, dataRoots: new DataRoots([Path.Combine(dir, "elsewhere")])).Run();
        Assert.Equal(TrainingOutcome.Failed, refused);
        Assert.Contains("outside the data roots", events[^1].Message);
    }

    [Fact]
    public void SimClrOnAnImageFolderIsProbedOnItsTestAndValidationSetsAtTheEnd()
    {
        var dir = DatasetFiles.TempFolder("simclr-folder");
        var train = DatasetFiles.ImageFolder(Path.Combine(dir, "train"), ["cat", "dog"], 8);
        var test = new DatasetSource { Format = DatasetFormats.ImageFolder, Path = DatasetFiles.ImageFolder(Path.Combine(dir, "test"), ["cat", "dog"], 3) };
        var val = new DatasetSource { Format = DatasetFormats.ImageFolder, Path = DatasetFiles.ImageFolder(Path.Combine(dir, "val"), ["cat", "dog"], 2) };
        var config = Micro with
        {
            Objective = Objective.SimClr,
            Data = Micro.Data with { Dataset = "pets", Source = new DatasetSource { Format = DatasetFormats.ImageFolder, Path = train } },
            Eval = Micro.Eval with { Test = test, Val = val, Validate = true },
        };
        Assert.Empty(config.Validate());
        var events = new List<TrainerEvent>();

        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, Path.Combine(dir, "out"), events.Add, () => false, dataRoots: new DataRoots([dir])).Run());

        var probe = events.Last(e => e.Type == TrainerEvent.Metrics).Values!;
        Assert.InRange(probe["lp_acc1"], 0, 100);
        Assert.InRange(probe["val_lp_acc1"], 0, 100);
        Assert.Equal(100.0 / 4 * Math.Round(probe["val_lp_acc1"] * 4 / 100), probe["val_lp_acc1"], 3); // 4 validation images
    }

    [Fact]
    public void TheDatasetVerbPrintsTheCheckOrTheProblem()
    {
        var dir = DatasetFiles.TempFolder("verb");
        DatasetFiles.Shard(Path.Combine(dir, "00000.tar"), DatasetFiles.Samples(0, 4));
        Assert.Equal(Cli.ExitCodes.Completed, Cli.SlipCli.Run(["dataset", "--format", "webdataset", "--path", Path.Combine(dir, "00000.tar"), "--data-roots", dir]));
        Assert.Equal(Cli.ExitCodes.Usage, Cli.SlipCli.Run(["dataset", "--format", "csv", "--path", "/etc/passwd", "--data-roots", dir]));
        Assert.Equal(Cli.ExitCodes.Usage, Cli.SlipCli.Run(["dataset", "--format", "csv"]));
    }
}
