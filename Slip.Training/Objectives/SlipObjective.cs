using Slip.Training.Ssl;
using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>SLIP: clip_loss + ssl.scale x ssl_loss on one image tower (reference recipe: lr 3e-3, weight decay 0.1).</summary>
public sealed class SlipObjective : ObjectiveSpec
{
    public override Objective Objective => Objective.Slip;

    public override string Description => "SLIP (CLIP + the SSL method below)";

    public override bool HasText => true;

    public override bool HasSsl => true;

    public override (double LearningRate, double WeightDecay) Recipe => (3e-3, 0.1);

    public override string Label(SslMethod method) => method == SslMethod.SimClr ? "SLIP" : $"SLIP ({SslMethods.Of(method).Label})";

    protected override Tensor Combine(Tensor? clip, Tensor? ssl, RunConfig config) => clip!.Plus(ssl!.Times(config.Ssl.Scale));
}
