using Slip.Training.Losses;
using Slip.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Ssl;

/// <summary>
/// Masked-image modelling in the spirit of BEiT: one view, blockwise-masked patches replaced by a learned mask token,
/// a linear head predicting their normalised pixels; mean squared error, no accuracy.
/// </summary>
public sealed class MimMethod : SslMethodSpec
{
    public override SslMethod Method => SslMethod.Mim;

    public override string Label => "MIM";

    public override int Views => 1;

    public override bool NeedsMask => true;

    public override bool HasAccuracy => false;

    public override IReadOnlyList<string> Knobs { get; } = ["maskRatio"];

    /// <summary>BEiT masks 40 % of the patches.</summary>
    public override SslConfig WithDefaults(SslConfig ssl) => ssl with { Method = Method, MaskRatio = 0.4 };

    public override bool Matches(IReadOnlyDictionary<string, Tensor> state) => state.ContainsKey("mim_head.weight");

    public override SslBranch Build(RunConfig c, VisionTransformer visual)
    {
        var maskToken = Parameter(zeros(1, 1, c.Vision.Width));
        var head = Linear(c.Vision.Width, c.Vision.PatchSize * c.Vision.PatchSize * 3);
        using (no_grad())
        {
            // BEiT: truncated normal (std 0.02) for the mask token and the prediction head, zero bias.
            Initialization.TruncatedNormal(maskToken, std: 0.02);
            Initialization.TruncatedNormal(head.weight!, std: 0.02);
            init.zeros_(head.bias!);
        }

        return new Branch(visual, maskToken, head, c.Vision.PatchSize);
    }

    private sealed class Branch(VisionTransformer visual, Parameter maskToken, Linear head, int patchSize) : SslBranch
    {
        protected override IEnumerable<ModelPart> Parts => [new("mim_mask_token", maskToken), new("mim_head", head)];

        public override SlipOutputs Forward(SlipInputs input)
        {
            var view = input.Aug1!;
            var mask = input.Mask!;                                           // [B, T]
            var tokens = visual.Tokens(view, mask, Registered("mim_mask_token")); // [B, T+1, D]
            var patches = tokens.narrow(1, 1, tokens.shape[1] - 1);           // [B, T, D]
            return SlipOutputs.Empty with
            {
                MimPrediction = head.call(patches[mask]),                     // [M, P*P*3]
                MimTarget = MaskedPatchLoss.Targets(view, mask, patchSize),   // [M, P*P*3]
            };
        }

        public override (Tensor Loss, Tensor? Accuracy) Loss(SlipOutputs o, RunConfig config) => (MaskedPatchLoss.Compute(o.MimPrediction!, o.MimTarget!), null);
    }
}
