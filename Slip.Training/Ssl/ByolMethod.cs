using Slip.Training.Losses;
using Slip.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Ssl;

/// <summary>BYOL: 2-layer projector and predictor, normalised regression of the target projections, base momentum 0.996.</summary>
public sealed class ByolMethod : MomentumMethod
{
    public override SslMethod Method => SslMethod.Byol;

    public override string Label => "BYOL";

    public override SslConfig WithDefaults(SslConfig ssl) => ssl with { Method = Method, Momentum = 0.996 };

    public override bool Matches(IReadOnlyDictionary<string, Tensor> state) =>
        state.ContainsKey("ssl_projector.0.weight") && !state.ContainsKey("ssl_projector.6.weight");

    protected override Sequential Projector(RunConfig c) => SslMlp.Byol(c.Vision.Width, c.Ssl.MlpDim, c.Ssl.EmbedDim);

    protected override Sequential Predictor(RunConfig c) => SslMlp.Byol(c.Ssl.EmbedDim, c.Ssl.MlpDim, c.Ssl.EmbedDim);

    protected override (Tensor Loss, Tensor? Accuracy) Loss(Tensor q1, Tensor q2, Tensor k1, Tensor k2, RunConfig config) => ByolLoss.Compute(q1, q2, k1, k2);
}
