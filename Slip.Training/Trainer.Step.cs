using Slip.Training.Datasets;
using Slip.Training.Models;
using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>The optimizer and one optimizer step, as the reference does them; shared by the loop, the benchmark and tests.</summary>
public sealed partial class Trainer
{
    /// <summary>Splits parameters as the reference does: no decay for ndim &lt; 2 or names containing bias, ln or bn.</summary>
    public static (List<(string Name, Parameter Parameter)> Decay, List<(string Name, Parameter Parameter)> NoDecay) WeightDecayGroups(nn.Module model)
    {
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad)
            {
                continue;
            }

            var exclude = p.dim() < 2 || name.Contains("bias", StringComparison.Ordinal) || name.Contains("ln", StringComparison.Ordinal) || name.Contains("bn", StringComparison.Ordinal);
            (exclude ? noDecay : decay).Add((name, p));
        }

        return (decay, noDecay);
    }

    /// <summary>AdamW as the reference configures it: betas (0.9, 0.98), eps 1e-8, decay only where the reference's rule says.</summary>
    public static AdamW CreateOptimizer(SlipModel model, RunConfig config)
    {
        var (decay, noDecay) = WeightDecayGroups(model);
        return new HeldScalarAdamW(
            [
                new AdamW.ParamGroup(decay.Select(d => d.Parameter), new AdamW.Options { weight_decay = config.Optim.WeightDecay }),
                new AdamW.ParamGroup(noDecay.Select(d => d.Parameter), new AdamW.Options { weight_decay = 0.0 }),
            ],
            config.Optim.LearningRate, beta1: 0.9, beta2: 0.98, eps: 1e-8);
    }

    /// <summary>One optimizer step on one batch; see the overload for micro-batches.</summary>
    public static Dictionary<string, float> Step(SlipModel model, optim.Optimizer optimizer, TrainingBatch batch, RunConfig config, bool injectNan = false, MixedPrecision? mixed = null, StepLaps? laps = null) =>
        Step(model, optimizer, [batch], config, injectNan, mixed, laps: laps);

    /// <summary>
    /// One optimizer step over <paramref name="microBatches"/> (gradient accumulation: each loss is divided by their
    /// count): forward, named losses, backward, optional gradient clipping, AdamW step, logit-scale clamp and, for
    /// MoCo v3 and BYOL, the EMA step of the momentum network at <paramref name="momentum"/> (default: the base momentum). Returns the
    /// losses averaged over the micro-batches (and grad_norm when clipping); when a loss is not finite nothing is
    /// updated. With <paramref name="mixed"/>, the bf16 copy computes and <paramref name="model"/> holds the fp32 master weights.
    /// <paramref name="laps"/>, when given, adds where the step's time went.
    /// </summary>
    public static Dictionary<string, float> Step(
        SlipModel model, optim.Optimizer optimizer, IReadOnlyList<TrainingBatch> microBatches, RunConfig config, bool injectNan = false, MixedPrecision? mixed = null, double? momentum = null, StepLaps? laps = null)
    {
        laps?.Start();
        // The outer scope frees what the optimizer and clipping allocate; the inner one each micro-batch's activations.
        using var stepScope = NewDisposeScope();
        optimizer.zero_grad();
        mixed?.Compute.zero_grad();
        var values = new Dictionary<string, float>();
        foreach (var batch in microBatches)
        {
            using var scope = NewDisposeScope();
            var inputs = batch.ToInputs(Placement.DeviceOf(model));
            var outputs = mixed is null
                ? model.call(inputs)
                : mixed.Compute.call(inputs with
                {
                    Image = MixedPrecision.ToCompute(inputs.Image),
                    Aug1 = MixedPrecision.ToCompute(inputs.Aug1),
                    Aug2 = MixedPrecision.ToCompute(inputs.Aug2),
                }).To(ScalarType.Float32);
            var losses = model.Spec.Losses(model, outputs, config);
            foreach (var (name, value) in losses)
            {
                values[name] = values.GetValueOrDefault(name) + (value.item<float>() / microBatches.Count);
            }

            laps?.ForwardDone();

            if (injectNan)
            {
                values[MetricNames.Loss] = float.NaN;
            }

            if (!float.IsFinite(values[MetricNames.Loss]))
            {
                return values;
            }

            losses[MetricNames.Loss].DividedBy(microBatches.Count).backward();
            laps?.BackwardDone();
        }

        mixed?.CopyGradientsToMaster();
        if (config.Optim.GradClipNorm is { } maxNorm)
        {
            values[MetricNames.GradNorm] = (float)nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
        }

        optimizer.step();
        model.ClampLogitScale();
        model.UpdateMomentumEncoder(momentum ?? config.Ssl.Momentum);
        mixed?.CopyWeightsToCompute();
        laps?.UpdateDone();

        // TorchSharp's AdamW step left native objects that only finalizers free (about 1 MB a step at Tiny size), and
        // the managed heap grows too slowly for the GC to run on its own: a young-generation collection per step kept
        // resident memory from creeping (docs/benchmarks.md, "Memory over 200 steps"). Those were most likely its
        // implicit Scalars, which HeldScalarAdamW now disposes as it goes (decision 0022). A 200-step run without the
        // collection still ended 60-110 MB higher and was no faster, so it stays (docs/benchmarks.md).
        GC.Collect(1);
        laps?.CollectionDone();
        return values;
    }
}
