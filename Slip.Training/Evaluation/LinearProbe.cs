using Slip.Training.Datasets;
using Slip.Training.Models;
using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>
/// Linear probe as the reference runs it: frozen CLS features (before the projection, eval mode), a linear head
/// initialised N(0, 0.01) with zero bias, SGD with momentum 0.9 and no weight decay, the learning rate decayed per
/// epoch along a cosine without warmup, tested every <see cref="LinearProbeOptions.EvalEvery"/> epochs. Reports the
/// best test top-1 (what main_linear.py reports, chosen on the test split as it does) and the last, with the protocol.
/// </summary>
public static class LinearProbe
{
    public static Dictionary<string, double> Evaluate(SlipModel model, EvalSet train, EvalSet test, LinearProbeOptions options) =>
        Evaluate(model, train, [test], options)[0];

    /// <summary>
    /// One head trained on <paramref name="train"/> and tested on each held-out set (the run's test and validation splits),
    /// each reporting its own best and last epoch: the head and the training features are computed once for all of them.
    /// </summary>
    public static IReadOnlyList<Dictionary<string, double>> Evaluate(SlipModel model, EvalSet train, IReadOnlyList<EvalSet> tests, LinearProbeOptions options)
    {
        using var scope = NewDisposeScope();
        var reference = options.Protocol == ProbeProtocol.Reference;
        if (reference && tests.Prepend(train).FirstOrDefault(s => s.Original is null) is { } stream)
        {
            throw new InvalidDataException($"The reference linear probe reads its images again (every epoch for training, at Resize 256 for testing); '{stream.Name}' is a stream that cannot be read again. Use the cached-features protocol.");
        }

        var size = train.Views[0].Height;
        var cached = reference ? null : Encoders.Images(model, train.Views, Encoders.ImageOutput.Features);   // [N, D]
        var testFeatures = tests.Select(test => Encoders.Images(model, reference                             // [M, D] each
            ? Enumerable.Range(0, test.Labels.Length).Select(i => ReferenceTestView(test.Original!(i), size)).ToList()
            : test.Views, Encoders.ImageOutput.Features)).ToList();
        var device = Placement.DeviceOf(model);
        var trainLabels = Placement.ToDevice(train.Labels.Select(l => (long)l).ToArray(), [train.Labels.Length], device);
        var classes = train.Classes.ClassNames.Count;
        var width = (int)testFeatures[0].shape[1];
        var rng = new Random(options.Seed);
        var weight = new TorchSharp.Modules.Parameter(Placement.ToDevice(Enumerable.Range(0, classes * width).Select(_ => (float)(0.01 * Sampling.Gaussian(rng))).ToArray(), [classes, width], device));
        var bias = new TorchSharp.Modules.Parameter(zeros(classes, device: device));
        using var optimizer = new HeldScalarSgd([weight, bias], options.EffectiveLearningRate, momentum: 0.9);
        var order = Enumerable.Range(0, train.Labels.Length).ToArray();
        var best = tests.Select(_ => (Top1: double.NegativeInfinity, Top5: 0.0, PerClass: 0.0)).ToArray();
        var bestEpoch = new int[tests.Count];
        var last = new (double Top1, double Top5, double PerClass)[tests.Count];
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            var lr = options.EffectiveLearningRate * 0.5 * (1 + Math.Cos(Math.PI * epoch / options.Epochs));
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            rng.Shuffle(order);
            foreach (var chunk in order.Chunk(options.EffectiveBatchSize))
            {
                using var step = NewDisposeScope();
                var index = Placement.ToDevice(chunk.Select(i => (long)i).ToArray(), [chunk.Length], device);
                var features = reference ? AugmentedFeatures(model, train, chunk, size, options.Seed, epoch) : cached!.index_select(0, index);
                optimizer.zero_grad();
                nn.functional.cross_entropy(features.matmul(weight.t()).Plus(bias), trainLabels.index_select(0, index)).backward();
                optimizer.step();
            }

            if ((epoch + 1) % options.EvalEvery == 0 || epoch + 1 == options.Epochs)
            {
                using var test_ = NewDisposeScope();
                using var _ = no_grad();
                for (var t = 0; t < tests.Count; t++)
                {
                    last[t] = Metrics.Classification(testFeatures[t].matmul(weight.t()).Plus(bias), tests[t].Labels);
                    if (last[t].Top1 > best[t].Top1)
                    {
                        (best[t], bestEpoch[t]) = (last[t], epoch + 1);
                    }
                }
            }

            options.OnEpoch?.Invoke(epoch + 1, options.Epochs);
        }

        return tests.Select((_, t) => new Dictionary<string, double>
        {
            [MetricNames.LinearProbeAcc1] = best[t].Top1,
            [MetricNames.LinearProbeAcc5] = best[t].Top5,
            [MetricNames.LinearProbePrefix + MetricNames.MeanPerClassRecall] = best[t].PerClass,
            [MetricNames.LinearProbeBestEpoch] = bestEpoch[t],
            [MetricNames.LinearProbeLastAcc1] = last[t].Top1,
        }).ToList();
    }

    /// <summary>
    /// Frozen features [batch, D] of fresh training views of <paramref name="batch"/>'s samples: decoded and augmented in
    /// parallel, 64 at a time (so at most 64 views are held), each view's randomness seeded by (seed, epoch, sample) so
    /// the result does not depend on thread scheduling.
    /// </summary>
    private static Tensor AugmentedFeatures(SlipModel model, EvalSet train, int[] batch, int size, int seed, int epoch)
    {
        var parts = new List<Tensor>();
        foreach (var part in batch.Chunk(64))
        {
            var views = new FloatImage[part.Length];
            Parallel.For(0, part.Length, j =>
            {
                var rng = new Random(unchecked((int)((((long)seed * 1_000_003) + epoch) * 1_000_033) + part[j]));
                views[j] = ReferenceTrainView(train.Original!(part[j]), size, rng);
            });
            parts.Add(Encoders.Images(model, views, Encoders.ImageOutput.Features));
        }

        return cat(parts, 0);
    }

    /// <summary>The reference probe's training view: RandomResizedCrop (scale 0.08-1), a horizontal flip half the time, normalised.</summary>
    private static FloatImage ReferenceTrainView(FloatImage image, int size, Random rng)
    {
        var x = Augmentations.RandomResizedCrop(image, size, 0.08, 1.0, rng);
        if (rng.NextDouble() < 0.5)
        {
            ImageOps.FlipHorizontal(x);
        }

        ImageOps.Normalize(x, Augmentations.Mean, Augmentations.Std);
        return x;
    }

    /// <summary>The reference probe's test view: Resize(256) then CenterCrop(224) for a 224-pixel model, the same 8:7 ratio otherwise.</summary>
    public static FloatImage ReferenceTestView(FloatImage image, int size)
    {
        var resized = (int)Math.Round(size * 256.0 / 224.0);
        var x = Augmentations.CenterCrop(Augmentations.EvalCrop(image, resized), size);
        ImageOps.Normalize(x, Augmentations.Mean, Augmentations.Std);
        return x;
    }
}
