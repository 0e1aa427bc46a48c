using Slip.Training.Models;

namespace Slip.Training.Tests;

/// <summary>The reference's parameter totals (slip-reference table 1.5), counted on the real modules.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class ParameterCountTests
{
    [Theory]
    [InlineData("ViT-S/16", Objective.Clip, 85_290_369L)]
    [InlineData("ViT-B/16", Objective.Clip, 149_619_969L)]
    [InlineData("ViT-L/16", Objective.Clip, 367_254_017L)]
    [InlineData("ViT-S/16", Objective.SimClr, 41_089_152L)]
    [InlineData("ViT-B/16", Objective.SimClr, 106_795_008L)]
    [InlineData("ViT-L/16", Objective.SimClr, 325_346_560L)]
    [InlineData("ViT-S/16", Objective.Slip, 104_713_857L)]
    [InlineData("ViT-B/16", Objective.Slip, 170_616_321L)]
    [InlineData("ViT-L/16", Objective.Slip, 389_298_945L)]
    public void ModelHasTheReferenceParameterCount(string preset, Objective objective, long expected)
    {
        // Built on the meta device (shapes without storage) so even ViT-L costs nothing to count.
        using var model = new SlipModel(new RunConfig { Objective = objective }.WithModelPreset(preset), buildOn: TorchSharp.torch.device("meta"));
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }
}

