using Slip.Training.Datasets;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

[Collection(GlobalTorchState.Name)]
public class ModelTests
{
    [Fact]
    public void VisionTowerReturnsOneClsFeaturePerImage()
    {
        using var vit = new VisionTransformer(imageSize: 16, patchSize: 4, width: 32, depth: 2, heads: 2);
        using var images = randn(3, 3, 16, 16);
        using var features = vit.call(images);
        Assert.Equal(new long[] { 3, 32 }, features.shape);
    }

    [Theory]
    [InlineData(Objective.Clip, true, false)]
    [InlineData(Objective.SimClr, false, true)]
    [InlineData(Objective.Slip, true, true)]
    public void EachObjectiveProducesItsEmbeddings(Objective objective, bool text, bool ssl)
    {
        var config = TinyConfigs.Slip() with { Objective = objective };
        using var model = new SlipModel(config);
        using var images = randn(4, 3, 16, 16);
        using var tokens = tensor(Enumerable.Range(0, 4).SelectMany(_ => ClipBpeTokenizer.BuiltIn.Tokenize("a red circle", 77)).ToArray(), [4, 77]);
        var outputs = model.call(new SlipInputs(images, tokens, images, images));
        Assert.Equal(text, outputs.ImageEmbed is not null);
        Assert.Equal(ssl, outputs.Aug1Embed is not null);
        if (text)
        {
            Assert.Equal(new long[] { 4, 32 }, outputs.ImageEmbed!.shape);
            Assert.Equal(new long[] { 4, 32 }, outputs.TextEmbed!.shape);
            Assert.Equal(1 / 0.07, outputs.LogitScale!.item<float>(), 3);
        }

        if (ssl)
        {
            Assert.Equal(new long[] { 4, 16 }, outputs.Aug1Embed!.shape);
            Assert.Equal(new long[] { 4, 16 }, outputs.Aug2Embed!.shape);
        }
    }

    [Theory]
    [InlineData("visual.pos_embed", 0.02)]
    [InlineData("visual.cls_token", 0.02)]
    [InlineData("visual.blocks.0.attn.qkv.weight", 0.02)]
    [InlineData("visual.blocks.1.mlp.fc2.weight", 0.02)]
    [InlineData("token_embedding.weight", 0.02)]
    [InlineData("positional_embedding", 0.01)]
    [InlineData("transformer.resblocks.0.attn.in_proj_weight", 0.0883883)]        // 128^-0.5
    [InlineData("transformer.resblocks.0.attn.out_proj.weight", 0.0312500)]       // 128^-0.5 * (2 * 4)^-0.5
    [InlineData("transformer.resblocks.1.mlp.c_fc.weight", 0.0625)]                // (2 * 128)^-0.5
    [InlineData("image_projection", 0.0883883)]
    [InlineData("text_projection", 0.0883883)]
    public void WeightsStartWithTheReferenceInitialisation(string name, double std)
    {
        manual_seed(3);
        using var model = new SlipModel(new RunConfig().WithModelPreset("Tiny"));
        var weight = model.named_parameters().Single(p => p.name == name).parameter.detach();
        Assert.InRange(weight.std().item<float>(), std * 0.85, std * 1.15);
        Assert.InRange(weight.mean().item<float>(), -std / 5, std / 5);
        Assert.True(weight.abs().max().item<float>() <= 2);
    }

    [Fact]
    public void FreshVisionTowerTellsImagesApart()
    {
        // With every weight equal (a broken initialiser), all CLS features come out identical.
        manual_seed(4);
        using var vit = new VisionTransformer(imageSize: 16, patchSize: 4, width: 32, depth: 2, heads: 2);
        using var features = vit.call(randn(4, 3, 16, 16));
        Assert.True(features.std(0).mean().item<float>() > 0.1);
    }

    [Fact]
    public void StateDictUsesThePublishedKeyNames()
    {
        using var model = new SlipModel(TinyConfigs.Slip());
        var keys = model.state_dict().Keys.ToHashSet();
        string[] expected =
        [
            "visual.patch_embed.proj.weight", "visual.cls_token", "visual.pos_embed", "visual.blocks.0.attn.qkv.weight",
            "visual.blocks.1.mlp.fc2.bias", "visual.norm.weight", "image_projection", "token_embedding.weight",
            "positional_embedding", "transformer.resblocks.0.attn.in_proj_weight", "transformer.resblocks.1.attn.out_proj.bias",
            "transformer.resblocks.0.mlp.c_fc.weight", "transformer.resblocks.0.ln_1.weight", "ln_final.bias",
            "text_projection", "logit_scale", "image_mlp.layer1.weight", "image_mlp.bn2.running_var", "image_mlp.layer3.bias",
        ];
        Assert.All(expected, k => Assert.Contains(k, keys));
    }

    [Fact]
    public void WeightDecayFollowsTheReferenceRule()
    {
        using var model = new SlipModel(TinyConfigs.Slip());
        var (decay, noDecay) = Trainer.WeightDecayGroups(model);
        var decayed = decay.Select(d => d.Name).ToHashSet();
        var notDecayed = noDecay.Select(d => d.Name).ToHashSet();
        Assert.Contains("visual.pos_embed", decayed);
        Assert.Contains("visual.cls_token", decayed);
        Assert.Contains("token_embedding.weight", decayed);
        Assert.Contains("image_projection", decayed);
        Assert.Contains("visual.patch_embed.proj.weight", decayed);
        Assert.Contains("logit_scale", notDecayed);
        Assert.Contains("visual.blocks.0.attn.qkv.bias", notDecayed);
        Assert.Contains("transformer.resblocks.0.ln_1.weight", notDecayed);
        Assert.Contains("image_mlp.bn1.weight", notDecayed);
        Assert.Equal(model.parameters().Count(), decayed.Count + notDecayed.Count);
    }

    [Fact]
    public void LogitScaleIsClampedToOneHundred()
    {
        using var model = new SlipModel(TinyConfigs.Slip());
        using (no_grad())
        {
            model.named_parameters().Single(p => p.name == "logit_scale").parameter.fill_(10);
        }

        model.ClampLogitScale();
        Assert.Equal(100, Math.Exp(model.LogitScale!.item<float>()), 3);
    }
}
