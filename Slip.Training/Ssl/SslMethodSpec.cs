using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Ssl;

/// <summary>
/// Everything Slip knows about one SSL method: its label, how many views a batch needs, its defaults, which knobs it
/// reads, the modules it adds to the model, its loss, and how to recognise it in a state dict.
/// </summary>
public abstract class SslMethodSpec
{
    public abstract SslMethod Method { get; }

    /// <summary>The name users see: "SimCLR", "MoCo v3", "BYOL", "MIM".</summary>
    public abstract string Label { get; }

    /// <summary>Augmented views per image a batch carries (MIM reads one).</summary>
    public virtual int Views => 2;

    /// <summary>Whether a batch carries a patch mask for the first view.</summary>
    public virtual bool NeedsMask => false;

    /// <summary>Whether the loss has an accuracy to log as ssl_acc.</summary>
    public virtual bool HasAccuracy => true;

    /// <summary>The config keys (below <c>ssl.</c>) this method reads, besides <c>ssl.method</c> and <c>ssl.scale</c>.</summary>
    public abstract IReadOnlyList<string> Knobs { get; }

    /// <summary>The method's own defaults (temperature, momentum); the other fields keep what they had.</summary>
    public virtual SslConfig WithDefaults(SslConfig ssl) => ssl with { Method = Method };

    /// <summary>Builds this method's modules for a model whose image tower is <paramref name="visual"/>.</summary>
    public abstract SslBranch Build(RunConfig config, VisionTransformer visual);

    /// <summary>Whether a state dict's keys are this method's branch.</summary>
    public abstract bool Matches(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>The SSL part of a config that builds a branch these weights fit.</summary>
    public virtual SslConfig Infer(SslConfig ssl, Func<string, long[]> shape) => WithDefaults(ssl);
}

/// <summary>
/// One SSL method's modules inside a <see cref="SlipModel"/>, registered on the model under their published names,
/// and what its forward pass and loss compute.
/// </summary>
public abstract class SslBranch : ModelBranch
{
    /// <summary>The branch's outputs for one batch (SSL fields of <see cref="SlipOutputs"/>).</summary>
    public abstract SlipOutputs Forward(SlipInputs input);

    /// <summary>The SSL loss and, where the method has one, its accuracy.</summary>
    public abstract (Tensor Loss, Tensor? Accuracy) Loss(SlipOutputs outputs, RunConfig config);

    /// <summary>After each optimizer step (the EMA of a momentum network); nothing by default.</summary>
    public virtual void AfterStep(double momentum)
    {
    }
}
