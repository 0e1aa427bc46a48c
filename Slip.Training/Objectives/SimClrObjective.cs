using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>Image-image only: the SSL method's loss alone, no text tower (reference recipe: lr 3.2e-3, weight decay 0.1).</summary>
public sealed class SimClrObjective : ObjectiveSpec
{
    public override Objective Objective => Objective.SimClr;

    public override string Description => "Image-image only (SimCLR or the SSL method below)";

    public override bool HasText => false;

    public override bool HasSsl => true;

    public override (double LearningRate, double WeightDecay) Recipe => (3.2e-3, 0.1);

    public override string Label(SslMethod method) => SslMethods.Of(method).Label;

    protected override Tensor Combine(Tensor? clip, Tensor? ssl, RunConfig config) => ssl!;
}
