using Slip.Training.Datasets;
using Slip.Training.Models;
using Slip.Training.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>
/// End-to-end fine-tuning as the reference runs it (BEiT's recipe, slip-reference 6.3): a copy of the checkpoint's
/// ViT with a new linear head on the CLS feature (truncated normal 0.02 times 0.001, zero bias), AdamW whose per-layer
/// learning rate is scaled by layer_decay^(L+1-id), a per-step linear warmup from 0 then cosine to the minimum lr,
/// Mixup/CutMix per batch with label-smoothed soft targets; top-1/top-5 on the test set's centre crops. The
/// checkpoint's model is left untouched.
/// </summary>
public static class FineTune
{
    public static Dictionary<string, double> Evaluate(SlipModel model, RunConfig config, EvalSet train, EvalSet test, FineTuneOptions options)
    {
        using var scope = NewDisposeScope();
        var classes = train.Classes.ClassNames.Count;
        var device = Placement.DeviceOf(model);
        using var classifier = new FineTuneClassifier(config, model.Visual, classes);
        classifier.to(device);      // before the optimizer: moving replaces the parameters it would hold
        var groups = LayerGroups(classifier, config.Vision.Depth, options);
        using var optimizer = new HeldScalarAdamW(groups.Select(g => g.Group), options.EffectiveLearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        var rng = new Random(options.Seed);
        var batch = Math.Min(options.BatchSize, train.Labels.Length);
        var stepsPerEpoch = train.Labels.Length / batch;   // drop_last, as the reference's loader
        var totalSteps = stepsPerEpoch * options.Epochs;
        var warmupSteps = (int)Math.Round(options.WarmupFraction * totalSteps);
        var order = Enumerable.Range(0, train.Labels.Length).ToArray();
        var step = 0;
        classifier.train();
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            foreach (var chunk in order.Chunk(batch).Where(c => c.Length == batch))
            {
                using var stepScope = NewDisposeScope();
                var lr = LearningRateAt(step++, warmupSteps, totalSteps, options);
                for (var g = 0; g < groups.Count; g++)
                {
                    optimizer.ParamGroups.ElementAt(g).LearningRate = lr * groups[g].Scale;
                }

                var images = Placement.ToDevice(chunk.SelectMany(i => TrainView(train.Views[i], config.Vision.ImageSize, rng).Pixels).ToArray(), [chunk.Length, 3, config.Vision.ImageSize, config.Vision.ImageSize], device);
                var (mixed, targets) = Mixing.MixupCutMix(images, chunk.Select(i => train.Labels[i]).ToArray(), classes, options, rng);
                optimizer.zero_grad();
                var loss = (-targets * nn.functional.log_softmax(classifier.call(mixed), dim: -1)).sum(-1).mean();
                loss.backward();
                optimizer.step();
            }

            GC.Collect(1);
            options.OnEpoch?.Invoke(epoch + 1, options.Epochs);
        }

        classifier.eval();
        using var _ = no_grad();
        var logits = cat(test.Views.Chunk(64).Select(c => classifier.call(Placement.ToDevice(c.SelectMany(v => v.Pixels).ToArray(), [c.Length, 3, config.Vision.ImageSize, config.Vision.ImageSize], device))).ToList(), 0);
        var (top1, top5, perClass) = Metrics.Classification(logits, test.Labels);
        return new() { [MetricNames.FineTuneAcc1] = top1, [MetricNames.FineTuneAcc5] = top5, [MetricNames.FineTunePrefix + MetricNames.MeanPerClassRecall] = perClass };
    }

    /// <summary>The lr at an optimizer step: linear from 0 over the warmup, then a cosine from the peak to the minimum.</summary>
    public static double LearningRateAt(int step, int warmupSteps, int totalSteps, FineTuneOptions options)
    {
        var peak = options.EffectiveLearningRate;
        if (step < warmupSteps)
        {
            return peak * step / warmupSteps;
        }

        var decaySteps = Math.Max(1, totalSteps - warmupSteps);
        return options.MinLearningRate + (0.5 * (peak - options.MinLearningRate) * (1 + Math.Cos(Math.PI * (step - warmupSteps) / decaySteps)));
    }

    /// <summary>
    /// AdamW groups by (layer id, decay): id 0 for the patch embedding, CLS token and position embedding, i+1 for block
    /// i, L+1 for the final norm and the head; lr scale layer_decay^(L+1-id). No decay for 1-D tensors, biases, the
    /// position embedding and the CLS token, as BEiT's optimizer factory.
    /// </summary>
    public static List<(AdamW.ParamGroup Group, double Scale, string[] Names)> LayerGroups(nn.Module classifier, int depth, FineTuneOptions options)
    {
        var decay = options.EffectiveLayerDecay(depth);
        return classifier.named_parameters()
            .GroupBy(p => (Layer: LayerId(p.name, depth), Decay: !(p.parameter.dim() == 1 || p.name.EndsWith(".bias", StringComparison.Ordinal) || p.name.EndsWith("pos_embed", StringComparison.Ordinal) || p.name.EndsWith("cls_token", StringComparison.Ordinal))))
            .OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.Decay)
            .Select(g => (
                new AdamW.ParamGroup(g.Select(p => p.parameter), new AdamW.Options { weight_decay = g.Key.Decay ? options.WeightDecay : 0.0 }),
                Math.Pow(decay, depth + 1 - g.Key.Layer),
                g.Select(p => p.name).ToArray()))
            .ToList();
    }

    /// <summary>BEiT's get_layer_id_for_vit on the classifier's parameter names.</summary>
    public static int LayerId(string name, int depth)
    {
        if (name.StartsWith("visual.cls_token", StringComparison.Ordinal) || name.StartsWith("visual.pos_embed", StringComparison.Ordinal) || name.StartsWith("visual.patch_embed", StringComparison.Ordinal))
        {
            return 0;
        }

        const string Blocks = "visual.blocks.";
        return name.StartsWith(Blocks, StringComparison.Ordinal)
            ? int.Parse(name.AsSpan(Blocks.Length, name.IndexOf('.', Blocks.Length) - Blocks.Length), System.Globalization.CultureInfo.InvariantCulture) + 1
            : depth + 1;
    }

    /// <summary>
    /// The training view: RandomResizedCrop (scale 0.08-1) and a horizontal flip, applied to the model-size centre crop
    /// (<paramref name="view"/> is normalised; it is un-normalised first, since the resampler works on [0, 1] values).
    /// </summary>
    private static FloatImage TrainView(FloatImage view, int size, Random rng)
    {
        var raw = new FloatImage(view.Height, view.Width);
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < view.Plane; i++)
            {
                raw.Pixels[(c * view.Plane) + i] = (view.Pixels[(c * view.Plane) + i] * Augmentations.Std[c]) + Augmentations.Mean[c];
            }
        }

        var x = Augmentations.RandomResizedCrop(raw, size, 0.08, 1.0, rng);
        if (rng.NextDouble() < 0.5)
        {
            ImageOps.FlipHorizontal(x);
        }

        ImageOps.Normalize(x, Augmentations.Mean, Augmentations.Std);
        return x;
    }
}

/// <summary>The checkpoint's ViT (copied) with a new linear head on its CLS feature.</summary>
public sealed class FineTuneClassifier : nn.Module<Tensor, Tensor>
{
    private readonly VisionTransformer visual;
    private readonly Linear head;

    public FineTuneClassifier(RunConfig config, VisionTransformer pretrained, int classes) : base(nameof(FineTuneClassifier))
    {
        using var host = Placement.OnHost();
        visual = new VisionTransformer(config.Vision.ImageSize, config.Vision.PatchSize, config.Vision.Width, config.Vision.Depth, config.Vision.Heads);
        head = nn.Linear(config.Vision.Width, classes);
        RegisterComponents();
        using var _ = no_grad();
        visual.load_state_dict(pretrained.state_dict());
        Initialization.TruncatedNormal(head.weight!, std: 0.02);
        head.weight!.TimesInPlace(0.001);
        nn.init.zeros_(head.bias!);
    }

    public override Tensor forward(Tensor images) => head.call(visual.call(images));
}
