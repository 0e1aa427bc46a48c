using Slip.Training.Datasets;
using Slip.Training.Models;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>The MoCo v3, BYOL and MIM branches: config, masking, momentum network, data and training.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class SslMethodTests
{
    [Fact]
    public void ChoosingAMethodInJsonBringsItsDefaultsUnlessTheyAreGiven()
    {
        var moco = RunConfig.FromJson("""{"objective": "Slip", "sslMethod": "mocov3"}""");
        Assert.Equal((0.2, 0.99), (moco.Ssl.Temperature, moco.Ssl.Momentum));
        var byol = RunConfig.FromJson("""{"objective": "SimClr", "sslMethod": "byol", "sslMomentum": 0.98}""");
        Assert.Equal((0.1, 0.98), (byol.Ssl.Temperature, byol.Ssl.Momentum));
        Assert.Equal("BYOL", byol.ObjectiveLabel);
        Assert.Equal("SLIP (MoCo v3)", moco.ObjectiveLabel);
        Assert.Equal("SLIP", new RunConfig().ObjectiveLabel);
        Assert.DoesNotContain("objectiveLabel", moco.ToJson(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void InvalidMethodSettingsAreRefusedWithTheField()
    {
        Assert.Contains(new RunConfig { Ssl = new SslConfig { Method = (SslMethod)99 } }.Validate(), e => e.Field == "ssl.method" && e.Message.Contains("mocov3"));
        Assert.Contains(new RunConfig { Ssl = new SslConfig { Method = SslMethod.Byol }, Objective = Objective.Clip }.Validate(), e => e.Field == "ssl.method");
        Assert.Contains(new RunConfig { Ssl = new SslConfig { Momentum = 1 } }.Validate(), e => e.Field == "ssl.momentum");
        Assert.Contains(new RunConfig { Ssl = new SslConfig { MaskRatio = 0 } }.Validate(), e => e.Field == "ssl.maskRatio");
        Assert.Empty(new RunConfig { Ssl = new SslConfig { Method = SslMethod.Mim }, Objective = Objective.SimClr }.Validate());
    }

    [Fact]
    public void BlockMaskingCoversAboutTheRatioInContiguousBlocksAndRepeatsPerSeed()
    {
        const int grid = 14;
        var ratios = new List<double>();
        for (var seed = 0; seed < 200; seed++)
        {
            var mask = BlockMasking.Generate(grid, 0.4, new Random(seed));
            Assert.Equal(mask, BlockMasking.Generate(grid, 0.4, new Random(seed)));
            var count = mask.Count(m => m);
            Assert.InRange(count, 1, (int)Math.Round(grid * grid * 0.4));
            ratios.Add((double)count / (grid * grid));

            // Blocks, not scattered patches: every masked patch has a masked neighbour.
            for (var i = 0; i < mask.Length; i++)
            {
                if (mask[i])
                {
                    var (r, c) = (i / grid, i % grid);
                    Assert.True((r > 0 && mask[i - grid]) || (r < grid - 1 && mask[i + grid]) || (c > 0 && mask[i - 1]) || (c < grid - 1 && mask[i + 1]), $"patch {i} masked alone");
                }
            }
        }

        Assert.InRange(ratios.Average(), 0.36, 0.4);
    }

    [Fact]
    public void MomentumRisesFromItsBaseToOneAlongAHalfCosine()
    {
        Assert.Equal(0.996, MomentumMethod.MomentumAt(0.996, 0, 100), 12);
        Assert.Equal(1.0, MomentumMethod.MomentumAt(0.996, 100, 100), 12);
        Assert.Equal(0.998, MomentumMethod.MomentumAt(0.996, 50, 100), 12);
    }

    [Theory]
    [InlineData(SslMethod.MocoV3)]
    [InlineData(SslMethod.Byol)]
    public void TheMomentumNetworkStartsAsACopyStaysOutOfTheOptimizerAndFollowsByEma(SslMethod method)
    {
        manual_seed(5);
        var config = TinyConfigs.Slip(batch: 8, method: method);
        using var model = new SlipModel(config);
        var state = model.state_dict();
        var momentumKeys = state.Keys.Where(k => k.StartsWith("momentum_visual.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(momentumKeys);
        Assert.All(momentumKeys, k => Assert.True(state[k].equal(state[k["momentum_".Length..]]).all().item<bool>(), k));
        var (decay, noDecay) = Trainer.WeightDecayGroups(model);
        Assert.DoesNotContain(decay.Concat(noDecay), p => p.Name.StartsWith("momentum_", StringComparison.Ordinal));

        var before = state.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var loader = new BatchLoader(SyntheticShapes.Generate(8, config.Vision.ImageSize, seed: 1), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var optimizer = Trainer.CreateOptimizer(model, config);
        var losses = Trainer.Step(model, optimizer, [batch], config, momentum: 0.9);
        Assert.True(float.IsFinite(losses["ssl_loss"]));
        Assert.InRange(losses["ssl_acc"], 0, 100);

        var after = model.state_dict();
        foreach (var key in momentumKeys.Where(k => after[k].is_floating_point() && !k.Contains("running", StringComparison.Ordinal)))
        {
            var online = key["momentum_".Length..];
            var expected = (0.9 * before[key]) + (0.1 * after[online]);
            Assert.True(after[key].allclose(expected, rtol: 1e-5, atol: 1e-6), key);
            Assert.False(after[key].equal(before[key]).all().item<bool>() && !after[online].equal(before[online]).all().item<bool>(), $"{key} did not move");
        }
    }

    [Fact]
    public void MimBatchesCarryOneViewAndAPatchMask()
    {
        var config = TinyConfigs.Slip(batch: 8, method: SslMethod.Mim);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, config.Vision.ImageSize, seed: 1), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        Assert.Null(batch.Aug2);
        var grid = config.Vision.ImageSize / config.Vision.PatchSize;
        Assert.Equal([8L, grid * grid], batch.Mask!.shape);
        Assert.Equal(ScalarType.Bool, batch.Mask.dtype);
        Assert.True(batch.Mask.any(1).all().item<bool>(), "every sample masks some patches");
        using var again = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        Assert.True(batch.Mask.equal(again.Mask!).all().item<bool>());
    }

    [Fact]
    public void PatchifyOrdersPatchesAsTheVisionTowerDoes()
    {
        // The patch embedding is a stride-P conv: its output token t sees exactly the pixels of Patchify's row t.
        using var images = arange(2 * 3 * 8 * 8, dtype: ScalarType.Float32).reshape(2, 3, 8, 8);
        var patches = Losses.MaskedPatchLoss.Patchify(images, 4);              // [2, 4, 48]
        Assert.Equal([2L, 4, 48], patches.shape);
        var topRight = images[0, .., 0..4, 4..8].permute(1, 2, 0).reshape(-1);  // patch 1 of image 0, (p, q, c) order
        Assert.True(patches[0, 1].equal(topRight).all().item<bool>());
    }

    /// <summary>Every registered method: a new one is covered by these tests without being named in them.</summary>
    public static TheoryData<SslMethod> AllMethods => new(Enum.GetValues<SslMethod>());

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void EachMethodIsRecognisedFromItsWeights(SslMethod method)
    {
        var config = TinyConfigs.Slip(method: method);
        using var model = new SlipModel(config);
        var inferred = ModelInference.InferConfig(model.state_dict());
        Assert.Equal((config.Objective, method), (inferred.Objective, inferred.Ssl.Method));
        if (SslMethods.Of(method).Knobs.Contains("mlpDim"))
        {
            Assert.Equal((config.Ssl.MlpDim, config.Ssl.EmbedDim), (inferred.Ssl.MlpDim, inferred.Ssl.EmbedDim));
        }

        using var twin = new SlipModel(inferred);
        Checkpoints.Load(twin, model.state_dict(), "weights");
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Bf16StepsRunForEachMethod(SslMethod method)
    {
        manual_seed(3);
        var config = TinyConfigs.Slip(batch: 8, method: method, precision: Precision.Bf16);
        using var master = new SlipModel(config);
        using var mixed = new MixedPrecision(master, config);
        using var optimizer = Trainer.CreateOptimizer(master, config);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, config.Vision.ImageSize, seed: 1), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        var losses = Trainer.Step(master, optimizer, batch, config, mixed: mixed);
        Assert.True(float.IsFinite(losses["loss"]), $"loss {losses["loss"]}");
        Assert.All(master.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void EachObjectiveAndMethodLogsTheMetricsItsSpecNamesFromTheInputsItAsksFor(SslMethod method)
    {
        foreach (var objective in Enum.GetValues<Objective>().Where(o => method == SslMethod.SimClr || Objectives.ObjectiveRegistry.Of(o).HasSsl))
        {
            manual_seed(4);
            var config = TinyConfigs.Slip(batch: 8, method: method) with { Objective = objective };
            var needs = config.Spec.Needs(config);
            var loader = new BatchLoader(SyntheticShapes.Generate(8, config.Vision.ImageSize, seed: 1), config);
            using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
            Assert.Equal((needs.ClipView, needs.Captions, needs.SslViews, needs.Mask),
                (batch.Image is not null, batch.Text is not null, (batch.Aug1 is null ? 0 : 1) + (batch.Aug2 is null ? 0 : 1), batch.Mask is not null));
            using var model = new SlipModel(config);
            Assert.Equal((config.Spec.HasText, config.Spec.HasSsl), (model.HasText, model.HasSsl));
            using var optimizer = Trainer.CreateOptimizer(model, config);
            var losses = Trainer.Step(model, optimizer, batch, config);
            Assert.Equal(config.Spec.LossMetrics(config).Order(), losses.Keys.Order());
            Assert.All(losses.Values, v => Assert.True(float.IsFinite(v)));
        }
    }
}
