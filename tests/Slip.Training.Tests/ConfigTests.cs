using System.Text.Json.Nodes;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Tests;

public class ConfigTests
{
    [Fact]
    public void DefaultConfigIsValid() => Assert.Empty(new RunConfig().Validate(DatasetCatalog.Names));

    [Theory]
    [InlineData("vision.heads")]
    [InlineData("vision.patchSize")]
    [InlineData("optim.epochs")]
    [InlineData("data.dataset")]
    [InlineData("text.heads")]
    [InlineData("optim.batchSize")]
    [InlineData("text.vocabSize")]
    [InlineData("optim.updateFreq")]
    [InlineData("optim.gradClipNorm")]
    [InlineData("eval.tasksAtEnd")]
    [InlineData("checkpoints.keepLast")]
    public void InconsistentValuesAreReportedOnTheirKey(string key)
    {
        var bad = key switch
        {
            "vision.heads" => new RunConfig { Vision = new VisionConfig { Width = 100, Heads = 3 } },
            "vision.patchSize" => new RunConfig { Vision = new VisionConfig { ImageSize = 30, PatchSize = 4 } },
            "optim.epochs" => new RunConfig { Optim = new OptimConfig { Epochs = 0 } },
            "data.dataset" => new RunConfig { Data = new DataConfig { Dataset = "imagenet-21k" } },
            "text.heads" => new RunConfig { Text = new TextConfig { Width = 128, Heads = 5 } },
            "text.vocabSize" => new RunConfig { Text = new TextConfig { Tokenizer = Tokenizer.ClipBpe, VocabSize = 259 } },
            "optim.updateFreq" => new RunConfig { Optim = new OptimConfig { UpdateFreq = 0 } },
            "optim.gradClipNorm" => new RunConfig { Optim = new OptimConfig { GradClipNorm = -1 } },
            "eval.tasksAtEnd" => new RunConfig { Eval = new EvalConfig { TasksAtEnd = "linear_probe,knn" } },
            "checkpoints.keepLast" => new RunConfig { Checkpoints = new CheckpointConfig { KeepLast = 0 } },
            _ => new RunConfig { Optim = new OptimConfig { BatchSize = 1 } },
        };
        var error = Assert.Single(bad.Validate(DatasetCatalog.Names));
        Assert.Equal(key, error.Field);
        Assert.Contains(key, ConfigKeys.All.Keys);
    }

    [Fact]
    public void JsonRoundTripKeepsEveryValueInNestedParts()
    {
        var config = new RunConfig { Objective = Objective.Clip, Seed = 7, Ssl = new SslConfig { Scale = 0.5 }, Eval = new EvalConfig { TasksAtEnd = "zeroshot_classification,finetune" } }.WithModelPreset("ViT-B/16");
        var json = config.ToJson();
        Assert.Equal(config, RunConfig.FromJson(json));
        var node = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(["objective", "model", "seed", "logEvery", "vision", "text", "optim", "data", "ssl", "eval", "checkpoints"], node.Select(kv => kv.Key));
        Assert.Equal(768, node["vision"]!["width"]!.GetValue<int>());
        Assert.Equal("simclr", node["ssl"]!["method"]!.GetValue<string>());
        Assert.Equal("fp32", node["optim"]!["precision"]!.GetValue<string>());
        Assert.Equal("clip-bpe", node["text"]!["tokenizer"]!.GetValue<string>());
    }

    [Fact]
    public void AConfigStoredFlatByTheEarlierVersionStillLoads()
    {
        // Written by `Slip.Training validate` at commit 25068db (the last version with a flat config): a ViT-S/16 CLIP
        // run on a CSV manifest with retention and evaluation settings, and that version's defaults.
        var stored = RunConfig.FromJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "config", "flat-config-25068db.json")));
        Assert.Equal(Objective.Clip, stored.Objective);
        Assert.Equal("ViT-S/16", stored.Model);
        Assert.Equal((384, 12, 12, 224, 16), (stored.Vision.Width, stored.Vision.Depth, stored.Vision.Heads, stored.Vision.ImageSize, stored.Vision.PatchSize));
        Assert.Equal((512, 77, 49408), (stored.Text.Width, stored.Text.ContextLength, stored.Text.VocabSize));
        Assert.Equal((5e-4, 0.5, 3, 128), (stored.Optim.LearningRate, stored.Optim.WeightDecay, stored.Optim.Epochs, stored.Optim.BatchSize));
        Assert.Equal(Precision.Bf16, stored.Optim.Precision);
        Assert.Equal(1.0, stored.Optim.GradClipNorm);
        Assert.Equal((DatasetFormats.Csv, "/data/cc/train.csv"), (stored.Data.Source!.Format, stored.Data.Source.Path));
        Assert.Equal(("my-cc", 5000L), (stored.Data.Dataset, stored.Data.EpochSamples!.Value));
        Assert.Equal((2, 1, "zeroshot_acc1"), (stored.Checkpoints.KeepLast!.Value, stored.Checkpoints.KeepEvery!.Value, stored.Checkpoints.KeepBest));
        Assert.Equal(("linear_probe", 3, 500), (stored.Eval.TasksAtEnd, stored.Eval.ZeroShotEvery, stored.Eval.Samples));
        Assert.Empty(stored.Validate());

        var defaults = RunConfig.FromJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "config", "flat-default-25068db.json")));
        // That version's default text tower read bytes at context 32; a stored run keeps it, whatever today's default.
        Assert.Equal(new RunConfig() with { Text = new TextConfig { Tokenizer = Tokenizer.Byte, ContextLength = 32, VocabSize = 259 } }, defaults);
    }

    [Fact]
    public void BrokenJsonGivesAFormatErrorWithTheReason()
    {
        var ex = Assert.Throws<FormatException>(() => RunConfig.FromJson("{ \"epochs\": \"many\" }"));
        Assert.Contains("not valid JSON", ex.Message);
        Assert.Contains("optim.epochs", ex.Message);
        Assert.Contains("whole number", ex.Message);
    }

    [Theory]
    [InlineData("""{"learningRat": 0.1}""", "Unknown config key 'learningRat'. Did you mean 'optim.learningRate'?")]
    [InlineData("""{"optim": {"lr": 0.1}}""", "Unknown config key 'optim.lr'")]
    [InlineData("""{"optim": 3}""", "must be an object")]
    [InlineData("""{"ssl": {"method": "dino"}}""", "Unknown SSL method 'dino'. Known: simclr, mocov3, byol, mim")]
    [InlineData("""{"optim": {"precision": "fp8"}}""", "one of fp32, bf16")]
    public void TyposAndUnknownValuesAreRefusedByName(string json, string message)
    {
        var ex = Assert.Throws<FormatException>(() => RunConfig.FromJson(json));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void NamingAPresetInJsonFillsTheShapeAndGivenFieldsWin()
    {
        var config = RunConfig.FromJson("""{"model": "ViT-B/16", "vision": {"depth": 6}, "Epochs": 3}""");
        Assert.Equal((768, 6, 12, 224, 3), (config.Vision.Width, config.Vision.Depth, config.Vision.Heads, config.Vision.ImageSize, config.Optim.Epochs));
        Assert.Equal(49408, config.Text.VocabSize);
    }

    [Theory]
    [InlineData("""{"model": "ViT-H/14"}""", "Unknown model preset 'ViT-H/14'")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"model": 5}""", "wrong type")]
    public void ConfigsThatCannotBeReadSayWhy(string json, string message)
    {
        var ex = Assert.Throws<FormatException>(() => RunConfig.FromJson(json));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void ReferencePresetsUseTheReferenceTowers()
    {
        var s = new RunConfig().WithModelPreset("ViT-S/16");
        Assert.Equal((384, 12, 12, 224, 16), (s.Vision.Width, s.Vision.Depth, s.Vision.Heads, s.Vision.ImageSize, s.Vision.PatchSize));
        Assert.Equal((512, 12, 8, 77), (s.Text.Width, s.Text.Layers, s.Text.Heads, s.Text.ContextLength));
    }

    [Fact]
    public void EveryPresetTokenizesWithClipsBpeAtContext77UnlessTheByteTokenizerIsChosen()
    {
        foreach (var preset in ModelPresets.Names)
        {
            var config = RunConfig.FromJson($$"""{"model": "{{preset}}"}""");
            Assert.Equal((Tokenizer.ClipBpe, 77, 49408), (config.Text.Tokenizer, config.Text.ContextLength, config.Text.VocabSize));
            var bytes = RunConfig.FromJson($$$"""{"model": "{{{preset}}}", "text": {"tokenizer": "byte"}}""");
            Assert.Equal((Tokenizer.Byte, 77, 259), (bytes.Text.Tokenizer, bytes.Text.ContextLength, bytes.Text.VocabSize));
        }
    }

    [Fact]
    public void ScheduleWarmsUpFromStartThenDecaysToEnd()
    {
        var schedule = new LearningRateSchedule(peak: 1e-3, start: 1e-6, end: 1e-5, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(1e-6, schedule.At(0), 12);
        Assert.Equal(1e-3, schedule.At(9), 12);
        Assert.Equal(1e-3, schedule.At(10), 12);
        Assert.True(schedule.At(60) < 1e-3 && schedule.At(60) > 1e-5);
        Assert.Equal(1e-5, schedule.At(110), 8);
    }
}
