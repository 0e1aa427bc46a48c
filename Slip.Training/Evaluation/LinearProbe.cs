using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>The linear probe's recipe (slip-reference 6.2), with the reference's defaults.</summary>
public sealed record LinearProbeOptions
{
    public int Epochs { get; init; } = 90;
    public int BatchSize { get; init; } = 256;

    /// <summary>Peak learning rate; null means MoCo v3's rule, 0.1 x batch / 256 (the reference's own formula is a known bug, see slip-reference 6.2).</summary>
    public double? LearningRate { get; init; }

    public int Seed { get; init; }

    /// <summary>Called after each epoch with (epochs done, epochs in all).</summary>
    public Action<int, int>? OnEpoch { get; init; }

    public double EffectiveLearningRate => LearningRate ?? (0.1 * BatchSize / 256);
}

/// <summary>
/// Linear probe as the reference runs it: frozen CLS features (before the projection, eval mode) computed once and
/// cached, a linear head initialised N(0, 0.01) with zero bias, SGD with momentum 0.9 and no weight decay, the
/// learning rate decayed per epoch along a cosine without warmup; top-1/top-5 on the test set.
/// </summary>
public static class LinearProbe
{
    public static Dictionary<string, double> Evaluate(SlipModel model, EvalSet train, EvalSet test, LinearProbeOptions options)
    {
        using var scope = NewDisposeScope();
        var classes = train.Classes.ClassNames.Count;
        var trainFeatures = Encoders.Images(model, train.Views, Encoders.ImageOutput.Features);   // [N, D]
        var testFeatures = Encoders.Images(model, test.Views, Encoders.ImageOutput.Features);     // [M, D]
        var trainLabels = tensor(train.Labels.Select(l => (long)l).ToArray());
        var width = (int)trainFeatures.shape[1];
        var rng = new Random(options.Seed);
        var weight = new TorchSharp.Modules.Parameter(tensor(Enumerable.Range(0, classes * width).Select(_ => (float)(0.01 * Sampling.Gaussian(rng))).ToArray(), [classes, width]));
        var bias = new TorchSharp.Modules.Parameter(zeros(classes));
        using var optimizer = optim.SGD([weight, bias], options.EffectiveLearningRate, momentum: 0.9, weight_decay: 0);
        var order = Enumerable.Range(0, train.Labels.Length).ToArray();
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            var lr = options.EffectiveLearningRate * 0.5 * (1 + Math.Cos(Math.PI * epoch / options.Epochs));
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            rng.Shuffle(order);
            foreach (var chunk in order.Chunk(options.BatchSize))
            {
                using var step = NewDisposeScope();
                var index = tensor(chunk.Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                var logits = trainFeatures.index_select(0, index).matmul(weight.t()) + bias;
                nn.functional.cross_entropy(logits, trainLabels.index_select(0, index)).backward();
                optimizer.step();
            }

            options.OnEpoch?.Invoke(epoch + 1, options.Epochs);
        }

        using var _ = no_grad();
        var (top1, top5, perClass) = Metrics.Classification(testFeatures.matmul(weight.t()) + bias, test.Labels);
        return new() { [MetricNames.LinearProbeAcc1] = top1, [MetricNames.LinearProbeAcc5] = top5, [MetricNames.LinearProbePrefix + MetricNames.MeanPerClassRecall] = perClass };
    }
}
