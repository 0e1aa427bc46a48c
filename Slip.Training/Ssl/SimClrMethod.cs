using Slip.Training.Losses;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Ssl;

/// <summary>SimCLR as SLIP trains it: a 3-layer MLP head (image_mlp) on each view's CLS feature, NT-Xent at temperature 0.1.</summary>
public sealed class SimClrMethod : SslMethodSpec
{
    public override SslMethod Method => SslMethod.SimClr;

    public override string Label => "SimCLR";

    public override IReadOnlyList<string> Knobs { get; } = ["temperature", "mlpDim", "embedDim"];

    public override SslConfig WithDefaults(SslConfig ssl) => ssl with { Method = Method, Temperature = 0.1 };

    public override SslBranch Build(RunConfig config, VisionTransformer visual) => new Branch(visual, new SimClrHead(config.Vision.Width, config.Ssl.MlpDim, config.Ssl.EmbedDim));

    public override bool Matches(IReadOnlyDictionary<string, Tensor> state) => state.ContainsKey("image_mlp.layer1.weight");

    public override SslConfig Infer(SslConfig ssl, Func<string, long[]> shape) =>
        WithDefaults(ssl) with { MlpDim = (int)shape("image_mlp.layer1.weight")[0], EmbedDim = (int)shape("image_mlp.layer3.weight")[0] };

    private sealed class Branch(VisionTransformer visual, SimClrHead head) : SslBranch
    {
        protected override IEnumerable<ModelPart> Parts => [new("image_mlp", head)];

        // The reference runs the tower once per view and the head once per view (BN statistics per view).
        public override SlipOutputs Forward(SlipInputs input) => SlipOutputs.Empty with
        {
            Aug1Embed = head.call(visual.call(input.Aug1!)),                  // [B, E_ssl]
            Aug2Embed = head.call(visual.call(input.Aug2!)),                  // [B, E_ssl]
        };

        public override (Tensor Loss, Tensor? Accuracy) Loss(SlipOutputs o, RunConfig config) => NtXentLoss.Compute(o.Aug1Embed!, o.Aug2Embed!, config.Ssl.Temperature);
    }
}
