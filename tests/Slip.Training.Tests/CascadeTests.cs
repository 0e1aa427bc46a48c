using System.Text.Json.Nodes;
using Slip.Training.Ssl;

namespace Slip.Training.Tests;

/// <summary>The one cascade: preset, objective recipe, SSL method defaults, tokenizer, then the user's values.</summary>
public class CascadeTests
{
    [Fact]
    public void EachObjectiveGetsTheReferenceRecipeUnlessTheUserGivesOne()
    {
        var clip = RunConfig.FromJson("""{"objective": "Clip"}""");
        Assert.Equal((5e-4, 0.5), (clip.Optim.LearningRate, clip.Optim.WeightDecay));
        var simclr = RunConfig.FromJson("""{"objective": "SimClr"}""");
        Assert.Equal((3.2e-3, 0.1), (simclr.Optim.LearningRate, simclr.Optim.WeightDecay));
        var slip = RunConfig.FromJson("""{}""");
        Assert.Equal((3e-3, 0.1), (slip.Optim.LearningRate, slip.Optim.WeightDecay));
        var given = RunConfig.FromJson("""{"objective": "Clip", "optim": {"learningRate": 1e-3}}""");
        Assert.Equal((1e-3, 0.5), (given.Optim.LearningRate, given.Optim.WeightDecay));
    }

    [Fact]
    public void TheSslMethodBringsItsTemperatureAndMomentumAndTheTokenizerItsVocabulary()
    {
        var moco = RunConfig.FromJson("""{"ssl": {"method": "mocov3"}}""");
        Assert.Equal((0.2, 0.99), (moco.Ssl.Temperature, moco.Ssl.Momentum));
        var byol = RunConfig.FromJson("""{"sslMethod": "byol", "sslMomentum": 0.9}""");
        Assert.Equal((SslMethod.Byol, 0.9), (byol.Ssl.Method, byol.Ssl.Momentum));
        Assert.Equal(49408, RunConfig.FromJson("""{"text": {"tokenizer": "clip-bpe"}}""").Text.VocabSize);
    }

    [Fact]
    public void ChangingARootResetsWhatItChoosesAndKeepsTheRest()
    {
        var parent = RunConfig.FromJson("""{"objective": "Slip", "model": "Tiny", "optim": {"epochs": 7}, "ssl": {"method": "mocov3"}}""");
        var clip = ConfigCascade.Derive(parent, JsonNode.Parse("""{"objective": "Clip", "ssl": {"method": "simclr"}}""")!.AsObject());
        Assert.Equal((5e-4, 0.5, 7), (clip.Optim.LearningRate, clip.Optim.WeightDecay, clip.Optim.Epochs));
        Assert.Equal(0.1, clip.Ssl.Temperature);
        var bigger = ConfigCascade.Derive(parent, JsonNode.Parse("""{"model": "Small", "learningRate": 1e-4}""")!.AsObject());
        Assert.Equal((192, 64, 1e-4, 7), (bigger.Vision.Width, bigger.Vision.ImageSize, bigger.Optim.LearningRate, bigger.Optim.Epochs));
        var same = ConfigCascade.Derive(parent with { Optim = parent.Optim with { LearningRate = 9e-4 } }, JsonNode.Parse("""{"objective": "Slip"}""")!.AsObject());
        Assert.Equal(9e-4, same.Optim.LearningRate);
    }

    [Fact]
    public void EveryRootNamesTheKeysItChooses()
    {
        Assert.Equal(["optim.learningRate", "optim.weightDecay"], ConfigCascade.Dependents("objective").Order());
        Assert.Equal(["ssl.maskRatio", "ssl.momentum", "ssl.temperature"], ConfigCascade.Dependents("ssl.method").Order());
        Assert.Equal(["text.vocabSize"], ConfigCascade.Dependents("text.tokenizer"));
        Assert.Contains("vision.width", ConfigCascade.Dependents("model"));
        Assert.Contains("ssl.mlpDim", ConfigCascade.Dependents("model"));
        Assert.Equal(["data.epochSamples", "data.source"], ConfigCascade.Dependents("data.dataset").Order());
    }

    [Fact]
    public void AnotherDatasetDropsTheSourceAndSizeOfTheEarlierOne()
    {
        var parent = RunConfig.FromJson("""{"data": {"dataset": "cc", "source": {"format": "csv", "path": "/data/cc.csv"}, "epochSamples": 5000}}""");
        var shapes = ConfigCascade.Derive(parent, JsonNode.Parse("""{"data": {"dataset": "shapes"}}""")!.AsObject());
        Assert.Equal(("shapes", null, null), (shapes.Data.Dataset, shapes.Data.Source, shapes.Data.EpochSamples));
        var same = ConfigCascade.Derive(parent, JsonNode.Parse("""{"optim": {"epochs": 3}}""")!.AsObject());
        Assert.Equal(parent.Data, same.Data);
    }

    [Fact]
    public void ASourceChangeIsMergedIntoTheParentsSource()
    {
        var parent = RunConfig.FromJson("""{"data": {"dataset": "cc", "source": {"format": "csv", "path": "/data/cc/train.csv", "captionColumn": "caption"}}}""");
        var val = ConfigCascade.Derive(parent, JsonNode.Parse("""{"data": {"source": {"path": "/data/cc/val.csv"}}}""")!.AsObject());
        Assert.Equal(("csv", "/data/cc/val.csv", "caption", "cc"), (val.Data.Source!.Format, val.Data.Source.Path, val.Data.Source.CaptionColumn, val.Data.Dataset));
    }

    [Fact]
    public void EnumValuesMeanTheSameWhateverTheirSpelling()
    {
        var tuned = RunConfig.FromJson("""{"objective": "Slip", "optim": {"learningRate": 1e-3}, "ssl": {"method": "mocov3", "momentum": 0.9}}""");
        var same = ConfigCascade.Derive(tuned, JsonNode.Parse("""{"objective": "slip", "ssl": {"method": "MoCoV3"}}""")!.AsObject());
        Assert.Equal(tuned, same);
        Assert.Equal(Tokenizer.ClipBpe, RunConfig.FromJson("""{"text": {"tokenizer": "ClipBpe"}}""").Text.Tokenizer);
    }

    [Fact]
    public void NullForAKeyThatCannotBeEmptyTakesItsDefault()
    {
        var config = RunConfig.FromJson("""{"model": null, "eval": {"tasksAtEnd": null}, "optim": {"gradClipNorm": null}}""");
        Assert.Equal(("Tiny", "", null), (config.Model, config.Eval.TasksAtEnd, config.Optim.GradClipNorm));
        Assert.Empty(config.Validate());
    }

    [Fact]
    public void UnknownKeysInADatasetSourceAreRefusedToo()
    {
        var ex = Assert.Throws<FormatException>(() => RunConfig.FromJson("""{"data": {"dataset": "cc", "format": "csv", "path": "/x.csv"}}"""));
        Assert.Contains("Unknown key 'dataset' in the dataset source", ex.Message);
        Assert.Throws<FormatException>(() => RunConfig.FromJson("""{"data": {"source": {"format": "csv", "path": "/x.csv", "imageColum": "f"}}}"""));
    }
}
