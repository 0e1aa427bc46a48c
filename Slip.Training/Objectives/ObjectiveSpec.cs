using Slip.Training.Losses;
using Slip.Training.Models;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>What one forward pass needs from a batch: the CLIP view and its captions, SSL views, a patch mask.</summary>
public sealed record BatchNeeds(bool ClipView, bool Captions, int SslViews, bool Mask);

/// <summary>
/// Everything Slip knows about one objective: its label, which towers it builds, what a batch must carry, its losses and
/// metric names, the reference's recipe for it, and which config knobs apply to it.
/// </summary>
public abstract class ObjectiveSpec
{
    public abstract Objective Objective { get; }

    /// <summary>How the New Run form offers it.</summary>
    public abstract string Description { get; }

    /// <summary>Whether the model has the CLIP text tower, projections and logit scale.</summary>
    public abstract bool HasText { get; }

    /// <summary>Whether the model has an SSL branch.</summary>
    public abstract bool HasSsl { get; }

    /// <summary>The reference's peak learning rate and weight decay for this objective (slip-reference 5.1).</summary>
    public abstract (double LearningRate, double WeightDecay) Recipe { get; }

    /// <summary>What a user calls a run of this objective: "CLIP", "SimCLR", "SLIP", "MoCo v3", "SLIP (BYOL)", ...</summary>
    public abstract string Label(SslMethod method);

    /// <summary>Combines the CLIP and SSL losses (either is null when the objective has no such term) into the loss that is optimised.</summary>
    protected abstract Tensor Combine(Tensor? clip, Tensor? ssl, RunConfig config);

    /// <summary>The config with this objective's recipe applied.</summary>
    public RunConfig WithRecipe(RunConfig config) =>
        config with { Objective = Objective, Optim = config.Optim with { LearningRate = Recipe.LearningRate, WeightDecay = Recipe.WeightDecay } };

    public BatchNeeds Needs(RunConfig config)
    {
        var ssl = SslMethods.Of(config.Ssl.Method);
        return new BatchNeeds(HasText, HasText, HasSsl ? ssl.Views : 0, HasSsl && ssl.NeedsMask);
    }

    /// <summary>The loss metrics one training step logs, besides the trainer's own (lr, throughput, ...).</summary>
    public IReadOnlyList<string> LossMetrics(RunConfig config)
    {
        var names = new List<string> { MetricNames.Loss };
        if (HasText)
        {
            names.AddRange([MetricNames.ClipLoss, MetricNames.ClipAcc]);
        }

        if (HasSsl)
        {
            names.Add(MetricNames.SslLoss);
            if (SslMethods.Of(config.Ssl.Method).HasAccuracy)
            {
                names.Add(MetricNames.SslAcc);
            }
        }

        return names;
    }

    /// <summary>The named losses of one forward pass, as the reference logs them; "loss" is the one optimised.</summary>
    public Dictionary<string, Tensor> Losses(SlipModel model, SlipOutputs outputs, RunConfig config)
    {
        var result = new Dictionary<string, Tensor>();
        Tensor? clip = null, ssl = null;
        if (HasText)
        {
            var (loss, acc) = ClipLoss.Compute(outputs.ImageEmbed!, outputs.TextEmbed!, outputs.LogitScale!);
            result[MetricNames.ClipLoss] = clip = loss;
            result[MetricNames.ClipAcc] = acc;
        }

        if (HasSsl)
        {
            var (loss, acc) = model.Ssl!.Loss(outputs, config);
            result[MetricNames.SslLoss] = ssl = loss;
            if (acc is not null)
            {
                result[MetricNames.SslAcc] = acc;
            }
        }

        result[MetricNames.Loss] = Combine(clip, ssl, config);
        return result;
    }

    /// <summary>
    /// Whether a config key (a dotted JSON path such as <c>ssl.temperature</c>) means anything for a run of this
    /// objective: the form greys out the others.
    /// </summary>
    public bool Applies(string key, RunConfig config)
    {
        if (key.StartsWith("text.", StringComparison.Ordinal) || key == "eval.zeroShotEvery")
        {
            return HasText;
        }

        if (key == "ssl.scale")
        {
            return HasText && HasSsl;
        }

        if (key.StartsWith("ssl.", StringComparison.Ordinal))
        {
            var knob = key["ssl.".Length..];
            return HasSsl && (knob == "method" || SslMethods.Of(config.Ssl.Method).Knobs.Contains(knob));
        }

        return true;
    }
}
