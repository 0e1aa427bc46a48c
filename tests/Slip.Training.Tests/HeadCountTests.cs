using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>Head counts leave no trace in the weights: they are looked for in the order the README gives.</summary>
public sealed class HeadCountTests
{
    /// <summary>The shapes a CLIP checkpoint's keys give (uninitialised tensors: only their shapes are read).</summary>
    private static Dictionary<string, Tensor> ClipShapes(int width, int depth, int textWidth = 512, int textLayers = 12)
    {
        var state = new Dictionary<string, Tensor>
        {
            ["visual.patch_embed.proj.weight"] = empty(width, 3, 16, 16),
            ["visual.pos_embed"] = empty(1, 197, width),
            ["token_embedding.weight"] = empty(49408, textWidth),
            ["positional_embedding"] = empty(77, textWidth),
            ["image_projection"] = empty(width, 512),
        };
        for (var i = 0; i < depth; i++)
        {
            state[$"visual.blocks.{i}.attn.qkv.weight"] = empty(3 * width, width);
        }

        for (var i = 0; i < textLayers; i++)
        {
            state[$"transformer.resblocks.{i}.attn.in_proj_weight"] = empty(3 * textWidth, textWidth);
        }

        return state;
    }

    private static Dictionary<string, object?> Args(string model) => new() { ["model"] = model };

    [Fact]
    public void AReferenceTowerGetsTheReferencesHeadsNotWidthOver64()
    {
        // ViT-S/16 is 384 wide with 12 heads (width / 64 would say 6): the pitfall the reference warns about.
        var resolved = ModelInference.Resolve(ClipShapes(384, 12), new Dictionary<string, object?>(), null, HeadCounts.None);
        Assert.Equal((12, 8), (resolved.Config.Vision.Heads, resolved.Config.Text.Heads));
        Assert.Equal((HeadSource.ReferenceTable, HeadSource.ReferenceTable), (resolved.Vision, resolved.Text));
        Assert.Null(resolved.Warning);
    }

    [Fact]
    public void TheReleasesModelNameCountsWhenItsShapesAgree()
    {
        var resolved = ModelInference.Resolve(ClipShapes(768, 12), Args("CLIP_VITB16"), null, HeadCounts.None);
        Assert.Equal((12, HeadSource.ReleaseArgs, HeadSource.ReleaseArgs), (resolved.Config.Vision.Heads, resolved.Vision, resolved.Text));

        // A 6-block, 384-wide tower saved with args.model SLIP_VITS16 is not ViT-S/16: guessed, with a warning.
        var custom = ModelInference.Resolve(ClipShapes(384, 6), Args("SLIP_VITS16"), null, HeadCounts.None);
        Assert.Equal((6, HeadSource.Guessed), (custom.Config.Vision.Heads, custom.Vision));
        Assert.Contains("pass --vision-heads N", custom.Warning);
        Assert.DoesNotContain("--text-heads", custom.Warning);
    }

    [Fact]
    public void GivenCountsWinOverConfigJsonWhichWinsOverTheWeights()
    {
        var beside = new RunConfig { Objective = Objective.Clip }.WithModelPreset("ViT-S/16") with { Vision = new RunConfig().WithModelPreset("ViT-S/16").Vision with { Heads = 6 } };
        var fromJson = ModelInference.Resolve(ClipShapes(384, 12), new Dictionary<string, object?>(), beside, HeadCounts.None);
        Assert.Equal((6, HeadSource.ConfigJson), (fromJson.Config.Vision.Heads, fromJson.Vision));

        var given = ModelInference.Resolve(ClipShapes(384, 12), Args("SLIP_VITS16"), beside, new HeadCounts(Vision: 4, Text: 16));
        Assert.Equal((4, 16, HeadSource.Given, HeadSource.Given), (given.Config.Vision.Heads, given.Config.Text.Heads, given.Vision, given.Text));
        Assert.Null(given.Warning);
    }
}
