using Slip.Training.Losses;
using Slip.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Ssl;

/// <summary>MoCo v3 for ViTs: 3-layer projector, 2-layer predictor (BN, no bias), temperature 0.2, base momentum 0.99.</summary>
public sealed class MocoV3Method : MomentumMethod
{
    public override SslMethod Method => SslMethod.MocoV3;

    public override string Label => "MoCo v3";

    public override IReadOnlyList<string> Knobs { get; } = ["temperature", "momentum", "mlpDim", "embedDim"];

    public override SslConfig WithDefaults(SslConfig ssl) => ssl with { Method = Method, Temperature = 0.2, Momentum = 0.99 };

    // MoCo v3's projector has three Linears, so its last one is module 6; BYOL's has two.
    public override bool Matches(IReadOnlyDictionary<string, Tensor> state) => state.ContainsKey("ssl_projector.6.weight");

    protected override Sequential Projector(RunConfig c) => SslMlp.MocoV3(3, c.Vision.Width, c.Ssl.MlpDim, c.Ssl.EmbedDim);

    protected override Sequential Predictor(RunConfig c) => SslMlp.MocoV3(2, c.Ssl.EmbedDim, c.Ssl.MlpDim, c.Ssl.EmbedDim);

    protected override (Tensor Loss, Tensor? Accuracy) Loss(Tensor q1, Tensor q2, Tensor k1, Tensor k2, RunConfig config) =>
        MocoLoss.Compute(q1, q2, k1, k2, config.Ssl.Temperature);
}
