using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>Files laid out like SLIP's released checkpoints (made by reference/make_fixtures.py), and model inference.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class PublishedCheckpointTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");

    [Fact]
    public void ReleaseFileIsReadWithItsEpochArgumentsAndUnprefixedWeights()
    {
        var contents = CheckpointContents.Read(Path.Combine(Folder, "published_style_checkpoint.pt"));

        Assert.Equal(25, contents.Epoch);
        Assert.Equal(42.8, contents.BestAcc1);
        Assert.Equal("SLIP_VITS16", contents.Args["model"]);
        Assert.Contains("visual.patch_embed.proj.weight", contents.StateDict.Keys);
        Assert.DoesNotContain(contents.StateDict.Keys, k => k.StartsWith("module.", StringComparison.Ordinal));
    }

    [Fact]
    public void ReleaseFileLoadsIntoTheModelItsShapesDescribe()
    {
        var path = Path.Combine(Folder, "published_style_checkpoint.pt");
        var config = ModelInference.InferConfig(CheckpointContents.Read(path).StateDict);
        var micro = new RunConfig().WithModelPreset("Micro").WithFixtureText();

        Assert.Equal(Objective.Slip, config.Objective);
        Assert.Equal((micro.Vision.ImageSize, micro.Vision.PatchSize, micro.Vision.Width, micro.Vision.Depth), (config.Vision.ImageSize, config.Vision.PatchSize, config.Vision.Width, config.Vision.Depth));
        Assert.Equal((micro.Text.Width, micro.Text.Layers, micro.Text.ContextLength, micro.Text.VocabSize), (config.Text.Width, config.Text.Layers, config.Text.ContextLength, config.Text.VocabSize));
        Assert.Equal((micro.Text.EmbedDim, micro.Ssl.MlpDim, micro.Ssl.EmbedDim), (config.Text.EmbedDim, config.Ssl.MlpDim, config.Ssl.EmbedDim));

        using var model = new SlipModel(config);
        Checkpoints.Load(model, path);
        using var same = new SlipModel(config);
        Checkpoints.Load(same, Path.Combine(Folder, "slip_weights.pt"));
        var expected = same.state_dict();
        Assert.All(model.state_dict(), kv => Assert.True(kv.Value.equal(expected[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Theory]
    [InlineData("ViT-S/16", Objective.Slip)]
    [InlineData("ViT-B/16", Objective.Clip)]
    [InlineData("ViT-L/16", Objective.SimClr)]
    public void ReferenceModelsAreRecognisedFromTheirShapes(string preset, Objective objective)
    {
        var reference = new RunConfig { Objective = objective }.WithModelPreset(preset);
        using var model = new SlipModel(reference, buildOn: device("meta"));
        var inferred = ModelInference.InferConfig(model.state_dict());
        Assert.Equal(preset, inferred.Model);
        Assert.Equal(objective, inferred.Objective);
        Assert.Equal(reference.Vision.Heads, inferred.Vision.Heads);
        if (objective != Objective.SimClr)
        {
            Assert.Equal((reference.Text.Heads, reference.Text.ContextLength, 49408), (inferred.Text.Heads, inferred.Text.ContextLength, inferred.Text.VocabSize));
            Assert.Equal(Tokenizer.ClipBpe, inferred.Text.Tokenizer);
        }
    }

    [Fact]
    public void WeightsOfSomethingElseAreRefusedWithWhatWasFound()
    {
        var state = new Dictionary<string, Tensor> { ["encoder.layer.0.weight"] = zeros(2, 2), ["fc.bias"] = zeros(2) };
        var ex = Assert.Throws<InvalidDataException>(() => ModelInference.InferConfig(state));
        Assert.Contains("not a SLIP, CLIP or SimCLR model", ex.Message);
        Assert.Contains("encoder.layer.0.weight", ex.Message);
    }
}
