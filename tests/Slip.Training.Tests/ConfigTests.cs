using Slip.Training.Datasets;

namespace Slip.Training.Tests;

public class ConfigTests
{
    [Fact]
    public void DefaultConfigIsValid() => Assert.Empty(new RunConfig().Validate(DatasetCatalog.Names));

    [Theory]
    [InlineData(nameof(RunConfig.VisionHeads))]
    [InlineData(nameof(RunConfig.PatchSize))]
    [InlineData(nameof(RunConfig.Epochs))]
    [InlineData(nameof(RunConfig.Dataset))]
    [InlineData(nameof(RunConfig.TextHeads))]
    [InlineData(nameof(RunConfig.BatchSize))]
    [InlineData(nameof(RunConfig.Tokenizer))]
    [InlineData(nameof(RunConfig.VocabSize))]
    [InlineData(nameof(RunConfig.UpdateFreq))]
    [InlineData(nameof(RunConfig.GradClipNorm))]
    [InlineData(nameof(RunConfig.Precision))]
    [InlineData(nameof(RunConfig.EvaluateAtEnd))]
    public void InconsistentValuesAreReportedOnTheirField(string field)
    {
        var bad = field switch
        {
            nameof(RunConfig.VisionHeads) => new RunConfig { VisionWidth = 100, VisionHeads = 3 },
            nameof(RunConfig.PatchSize) => new RunConfig { ImageSize = 30, PatchSize = 4 },
            nameof(RunConfig.Epochs) => new RunConfig { Epochs = 0 },
            nameof(RunConfig.Dataset) => new RunConfig { Dataset = "imagenet-21k" },
            nameof(RunConfig.TextHeads) => new RunConfig { TextWidth = 128, TextHeads = 5 },
            nameof(RunConfig.Tokenizer) => new RunConfig { Tokenizer = "sentencepiece" },
            nameof(RunConfig.VocabSize) => new RunConfig { Tokenizer = "clip-bpe", VocabSize = 259 },
            nameof(RunConfig.UpdateFreq) => new RunConfig { UpdateFreq = 0 },
            nameof(RunConfig.GradClipNorm) => new RunConfig { GradClipNorm = -1 },
            nameof(RunConfig.Precision) => new RunConfig { Precision = "fp8" },
            nameof(RunConfig.EvaluateAtEnd) => new RunConfig { EvaluateAtEnd = "linear_probe,knn" },
            _ => new RunConfig { BatchSize = 1 },
        };
        var errors = bad.Validate(DatasetCatalog.Names);
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void JsonRoundTripKeepsEveryValue()
    {
        var config = new RunConfig { Objective = Objective.Clip, Seed = 7, SslScale = 0.5, EvaluateAtEnd = "zeroshot_classification,finetune" }.WithModelPreset("ViT-B/16");
        Assert.Equal(config, RunConfig.FromJson(config.ToJson()));
    }

    [Fact]
    public void BrokenJsonGivesAFormatErrorWithTheReason()
    {
        var ex = Assert.Throws<FormatException>(() => RunConfig.FromJson("{ \"epochs\": \"many\" }"));
        Assert.Contains("not valid JSON", ex.Message);
    }

    [Fact]
    public void NamingAPresetInJsonFillsTheShapeAndGivenFieldsWin()
    {
        var config = RunConfig.FromJson("""{"model": "ViT-B/16", "visionDepth": 6, "Epochs": 3}""");
        Assert.Equal((768, 6, 12, 224, 3), (config.VisionWidth, config.VisionDepth, config.VisionHeads, config.ImageSize, config.Epochs));
        Assert.Equal(49408, config.VocabSize);
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
        Assert.Equal((384, 12, 12, 224, 16), (s.VisionWidth, s.VisionDepth, s.VisionHeads, s.ImageSize, s.PatchSize));
        Assert.Equal((512, 12, 8, 77), (s.TextWidth, s.TextLayers, s.TextHeads, s.ContextLength));
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
