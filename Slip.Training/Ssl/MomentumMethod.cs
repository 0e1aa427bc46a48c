using Slip.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Ssl;

/// <summary>
/// What MoCo v3 and BYOL share: an online projector and predictor on the image tower, and a momentum (target) copy of
/// the tower and projector that follows the online one by EMA after each optimizer step.
/// </summary>
public abstract class MomentumMethod : SslMethodSpec
{
    public override IReadOnlyList<string> Knobs { get; } = ["momentum", "mlpDim", "embedDim"];

    /// <summary>The projector (vision width to SSL embedding); built twice, online and momentum.</summary>
    protected abstract Sequential Projector(RunConfig c);

    /// <summary>The predictor on the online side.</summary>
    protected abstract Sequential Predictor(RunConfig c);

    /// <summary>The method's loss on online predictions (q) and momentum projections (k).</summary>
    protected abstract (Tensor Loss, Tensor? Accuracy) Loss(Tensor q1, Tensor q2, Tensor k1, Tensor k2, RunConfig config);

    public override SslBranch Build(RunConfig c, VisionTransformer visual) => new Branch(this, c, visual);

    public override SslConfig Infer(SslConfig ssl, Func<string, long[]> shape) =>
        WithDefaults(ssl) with { MlpDim = (int)shape("ssl_projector.0.weight")[0], EmbedDim = (int)shape("ssl_predictor.0.weight")[1] };

    /// <summary>
    /// The EMA momentum at a step, as MoCo v3 and BYOL schedule it: from the base value at the start, along a half
    /// cosine, to 1 at the end: <c>1 - (1 - base) (cos(pi step / total) + 1) / 2</c>.
    /// </summary>
    public static double MomentumAt(double baseMomentum, long step, long totalSteps) =>
        totalSteps <= 0 ? baseMomentum : 1 - ((1 - baseMomentum) * (Math.Cos(Math.PI * step / totalSteps) + 1) / 2);

    private sealed class Branch : SslBranch
    {
        private readonly MomentumMethod method;
        private readonly VisionTransformer visual;
        private readonly Sequential projector;
        private readonly Sequential predictor;
        private readonly VisionTransformer momentumVisual;
        private readonly Sequential momentumProjector;

        public Branch(MomentumMethod method, RunConfig c, VisionTransformer visual)
        {
            this.method = method;
            this.visual = visual;
            projector = method.Projector(c);
            predictor = method.Predictor(c);
            momentumVisual = new VisionTransformer(c.Vision.ImageSize, c.Vision.PatchSize, c.Vision.Width, c.Vision.Depth, c.Vision.Heads);
            momentumProjector = method.Projector(c);
            CopyToMomentum();
        }

        protected override IEnumerable<ModelPart> Parts =>
        [
            new("ssl_projector", projector),
            new("ssl_predictor", predictor),
            new("momentum_visual", momentumVisual),
            new("momentum_projector", momentumProjector),
        ];

        /// <summary>Starts the momentum network as an exact copy of the online one, outside the optimizer's reach.</summary>
        private void CopyToMomentum()
        {
            using var _ = no_grad();
            foreach (var (online, momentum) in Pairs())
            {
                momentum.copy_(online);
                momentum.requires_grad = false;
            }
        }

        public override SlipOutputs Forward(SlipInputs input)
        {
            var q1 = predictor.call(projector.call(visual.call(input.Aug1!)));   // [B, E_ssl]
            var q2 = predictor.call(projector.call(visual.call(input.Aug2!)));   // [B, E_ssl]
            using var _ = no_grad();
            return SlipOutputs.Empty with
            {
                Aug1Embed = q1,
                Aug2Embed = q2,
                Aug1Target = momentumProjector.call(momentumVisual.call(input.Aug1!)),   // [B, E_ssl]
                Aug2Target = momentumProjector.call(momentumVisual.call(input.Aug2!)),   // [B, E_ssl]
            };
        }

        public override (Tensor Loss, Tensor? Accuracy) Loss(SlipOutputs o, RunConfig config) =>
            method.Loss(o.Aug1Embed!, o.Aug2Embed!, o.Aug1Target!, o.Aug2Target!, config);

        /// <summary>
        /// momentum = m x momentum + (1 - m) x online, for the vision tower and projector parameters (BatchNorm
        /// statistics stay the momentum network's own).
        /// </summary>
        public override void AfterStep(double m)
        {
            using var _ = no_grad();
            // Scalars held for the whole update: TorchSharp's implicit ones can be freed by the GC while libtorch still
            // reads them (HeldScalars, docs/decisions/0022).
            using var keep = m.ToScalar();
            using var mix = (1 - m).ToScalar();
            foreach (var (online, momentum) in Pairs())
            {
                momentum.mul_(keep).add_(online, alpha: mix);
            }
        }

        private IEnumerable<(Parameter Online, Parameter Momentum)> Pairs() =>
            visual.parameters().Zip(momentumVisual.parameters()).Concat(projector.parameters().Zip(momentumProjector.parameters()));
    }
}
