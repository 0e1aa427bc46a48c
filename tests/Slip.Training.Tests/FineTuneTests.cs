using Slip.Training.Evaluation;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>End-to-end fine-tuning: BEiT's layer-wise lr groups, the schedule, Mixup/CutMix targets, and that it learns.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class FineTuneTests
{
    [Fact]
    public void LayerGroupsScaleTheLearningRateByDepthAndSkipDecayWhereBeitDoes()
    {
        manual_seed(3);
        var config = TinyConfigs.Slip();
        using var model = new SlipModel(config);
        using var classifier = new FineTuneClassifier(config, model.Visual, classes: 5);
        var depth = config.Vision.Depth;
        var groups = FineTune.LayerGroups(classifier, depth, new FineTuneOptions { LayerDecay = 0.5 });
        var scaleOf = groups.SelectMany(g => g.Names.Select(n => (n, g.Scale, Decay: g.Group.Options.weight_decay > 0))).ToDictionary(x => x.n);

        // Every parameter in exactly one group.
        Assert.Equal(classifier.named_parameters().Select(p => p.name).Order(), scaleOf.Keys.Order());
        Assert.Equal(Math.Pow(0.5, depth + 1), scaleOf["visual.pos_embed"].Scale);
        Assert.Equal(Math.Pow(0.5, depth + 1), scaleOf["visual.patch_embed.proj.weight"].Scale);
        Assert.Equal(Math.Pow(0.5, depth), scaleOf["visual.blocks.0.attn.qkv.weight"].Scale);
        Assert.Equal(0.5, scaleOf[$"visual.blocks.{depth - 1}.mlp.fc1.weight"].Scale);
        Assert.Equal(1.0, scaleOf["head.weight"].Scale);
        Assert.Equal(1.0, scaleOf["visual.norm.weight"].Scale);
        Assert.True(scaleOf["visual.blocks.0.attn.qkv.weight"].Decay);
        Assert.True(scaleOf["head.weight"].Decay);
        Assert.False(scaleOf["visual.pos_embed"].Decay);
        Assert.False(scaleOf["visual.cls_token"].Decay);
        Assert.False(scaleOf["head.bias"].Decay);
        Assert.False(scaleOf["visual.norm.weight"].Decay);

        // The default decay follows the reference: 0.65, and 0.75 for 24-block towers.
        Assert.Equal((0.65, 0.75), (new FineTuneOptions().EffectiveLayerDecay(12), new FineTuneOptions().EffectiveLayerDecay(24)));
    }

    [Fact]
    public void TheClassifierStartsFromTheCheckpointsTowerAndLeavesItUntouched()
    {
        manual_seed(4);
        var config = TinyConfigs.Slip();
        using var model = new SlipModel(config);
        using var classifier = new FineTuneClassifier(config, model.Visual, classes: 3);
        var pretrained = model.Visual.state_dict();
        var copied = classifier.state_dict();
        Assert.True(copied["visual.blocks.0.attn.qkv.weight"].equal(pretrained["blocks.0.attn.qkv.weight"]).all().item<bool>());
        Assert.InRange(copied["head.weight"].std().item<float>(), 0.5f * 0.02f * 0.001f, 1.5f * 0.02f * 0.001f); // normal(0.02) x 0.001

        using (no_grad())
        {
            copied["visual.blocks.0.attn.qkv.weight"].add_(1);
        }

        Assert.False(copied["visual.blocks.0.attn.qkv.weight"].equal(pretrained["blocks.0.attn.qkv.weight"]).all().item<bool>());
    }

    [Fact]
    public void ScheduleWarmsUpFromZeroThenFollowsACosineToTheMinimum()
    {
        var options = new FineTuneOptions { LearningRate = 1e-3, MinLearningRate = 1e-6 };
        Assert.Equal(0, FineTune.LearningRateAt(0, 10, 110, options));
        Assert.Equal(5e-4, FineTune.LearningRateAt(5, 10, 110, options), 12);
        Assert.Equal(1e-3, FineTune.LearningRateAt(10, 10, 110, options), 12);
        Assert.Equal(1e-6 + ((1e-3 - 1e-6) / 2), FineTune.LearningRateAt(60, 10, 110, options), 12);
        Assert.Equal(1e-6, FineTune.LearningRateAt(110, 10, 110, options), 12);
        Assert.Equal(4e-3 * 64 / 1024, new FineTuneOptions().EffectiveLearningRate, 12); // the reference's 4e-3 at 1024, scaled to the batch
    }

    [Fact]
    public void MixupAndCutMixMixTargetsByTheAreaActuallyPasted()
    {
        var smooth = Mixing.SmoothedOneHot([2, 0], classes: 4, smoothing: 0.1);
        Assert.Equal(new[] { 0.025f, 0.025f, 0.925f, 0.025f, 0.925f, 0.025f, 0.025f, 0.025f }, smooth.data<float>().ToArray());

        using var images = arange(2 * 3 * 8 * 8, dtype: ScalarType.Float32).reshape(2, 3, 8, 8);
        var rng = new Random(1);
        for (var trial = 0; trial < 20; trial++)
        {
            var cutmix = trial % 2 == 0;
            var options = new FineTuneOptions { MixupAlpha = cutmix ? 0 : 0.8, CutMixAlpha = cutmix ? 1 : 0, LabelSmoothing = 0 };
            var (mixed, targets) = Mixing.MixupCutMix(images, [0, 1], 2, options, rng);
            Assert.True(targets.sum(1).allclose(ones(2), atol: 1e-6));
            var lambda = targets[0, 0].item<float>();   // image 0's own label weight
            if (cutmix)
            {
                // Each pixel is either its own or the partner's; the partner's share is 1 - λ.
                var fromPartner = mixed[0].ne(images[0]).to(ScalarType.Float32).mean().item<float>();
                Assert.Equal(1 - lambda, fromPartner, 4);
            }
            else
            {
                Assert.True(mixed[0].allclose((images[0] * lambda) + (images[1] * (1 - lambda)), atol: 1e-3));
            }
        }

        var draws = Enumerable.Range(0, 20000).Select(_ => Sampling.Beta(0.8, rng)).ToList();
        Assert.Equal(0.5, draws.Average(), 2);
        Assert.Equal(1 / (4 * ((2 * 0.8) + 1)), draws.Select(d => (d - 0.5) * (d - 0.5)).Average(), 2); // Var of Beta(a, a)
    }

    [Fact]
    public void FineTuningLearnsTheHeldOutClassesWellAboveChance()
    {
        manual_seed(5);
        var config = TinyConfigs.Slip();
        using var model = new SlipModel(config);
        var roots = Datasets.Sources.DataRoots.Unrestricted;
        var train = EvalSet.Load("shapes", null, train: true, config.Vision.ImageSize, 1024, roots);
        var test = EvalSet.Load("shapes", null, train: false, config.Vision.ImageSize, 256, roots);
        var epochs = new List<int>();
        var metrics = FineTune.Evaluate(model, config, train, test, new FineTuneOptions
        {
            Epochs = 8,
            BatchSize = 32,
            LearningRate = 1e-3,
            MixupAlpha = 0,
            CutMixAlpha = 0,
            OnEpoch = (done, _) => epochs.Add(done),
        });
        Assert.Equal(Enumerable.Range(1, 8), epochs);
        var chance = 100.0 / train.Classes.ClassNames.Count;
        Assert.True(metrics["ft_acc1"] > 2 * chance, $"fine-tuned top-1 {metrics["ft_acc1"]:F1}% is not well above chance ({chance:F1}%)");
        Assert.True(metrics["ft_acc5"] >= metrics["ft_acc1"]);
    }
}
