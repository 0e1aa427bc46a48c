using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>CLIP: the image-text contrastive loss alone (reference recipe: lr 5e-4, weight decay 0.5).</summary>
public sealed class ClipObjective : ObjectiveSpec
{
    public override Objective Objective => Objective.Clip;

    public override string Description => "CLIP (image-text)";

    public override bool HasText => true;

    public override bool HasSsl => false;

    public override (double LearningRate, double WeightDecay) Recipe => (5e-4, 0.5);

    public override string Label(SslMethod method) => "CLIP";

    protected override Tensor Combine(Tensor? clip, Tensor? ssl, RunConfig config) => clip!;
}
