using Slip.Training.Models;
using Slip.Training.Ssl;

namespace Slip.Training.Tests;

/// <summary>The analytic step count behind bench's share of peak, against published counts and the model's own shapes.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class StepFlopsTests
{
    [Fact]
    public void AVitB16ForwardIsTheSeventeenAndAHalfBillionMultiplyAddsThatFvcoreCounts()
    {
        var macs = StepFlops.VisionForward(new RunConfig().WithModelPreset("ViT-B/16").Vision) / 2;
        Assert.InRange(macs, 17.4e9, 17.7e9);   // fvcore and timm: 17.58 G at 224 px
    }

    [Theory]
    [InlineData("Micro")]
    [InlineData("ViT-Ti/16")]
    public void TheVisionCountIsTwiceTheBlocksAndPatchEmbeddingsWeightsPerTokenPlusAttention(string preset)
    {
        // The model as built: every 2-D weight of the vision tower's blocks is used once per token, the patch
        // embedding's once per patch; attention adds 4·T²·D per block. A preset whose shapes drift from the count fails here.
        var config = new RunConfig { Objective = Objective.SimClr }.WithModelPreset(preset);
        using var model = new SlipModel(config);
        var v = config.Vision;
        var patches = (v.ImageSize / v.PatchSize) * (v.ImageSize / v.PatchSize);
        var tokens = patches + 1;
        var weights = model.named_parameters().Where(p => p.name.Contains("blocks.", StringComparison.Ordinal) && p.name.EndsWith(".weight", StringComparison.Ordinal) && p.parameter.dim() == 2).Sum(p => p.parameter.numel());
        var patchWeights = model.named_parameters().Single(p => p.name.EndsWith("patch_embed.proj.weight", StringComparison.Ordinal)).parameter.numel();
        var expected = (2.0 * weights * tokens) + (2.0 * patchWeights * patches) + (v.Depth * 4.0 * tokens * tokens * v.Width);
        Assert.Equal(expected, StepFlops.VisionForward(v), 6);
    }

    [Fact]
    public void AStepCountsEachTrainedViewForwardAndBackwardAndAMomentumEncodersForwardOnce()
    {
        RunConfig Arm(Objective objective, SslMethod method = SslMethod.SimClr)
        {
            var config = new RunConfig { Objective = objective, Ssl = new SslConfig { Method = method } }.WithModelPreset("ViT-Ti/16");
            return config with { Optim = config.Optim with { BatchSize = 16 } };
        }

        var slip = Arm(Objective.Slip);
        var (image, caption) = (StepFlops.VisionForward(slip.Vision), StepFlops.TextForward(slip.Text));
        Assert.Equal(16 * 3 * ((3 * image) + caption), StepFlops.Step(slip), 6);                     // CLIP view + 2 SSL views, captions
        Assert.Equal(16 * 3 * (image + caption), StepFlops.Step(Arm(Objective.Clip)), 6);
        Assert.Equal(16 * 3 * 2 * image, StepFlops.Step(Arm(Objective.SimClr)), 6);
        Assert.Equal(16 * ((3 * 2 * image) + (2 * image)), StepFlops.Step(Arm(Objective.SimClr, SslMethod.MocoV3)), 6);   // the momentum encoder's forward
        Assert.Equal(16 * 3 * image, StepFlops.Step(Arm(Objective.SimClr, SslMethod.Mim)), 6);
    }
}
