using Slip.Training.Losses;
using Slip.Training.Ssl;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>The SSL branch of <see cref="SlipModel"/>: which modules each method has and what its forward computes.</summary>
public sealed partial class SlipModel
{
    private static (SimClrHead?, Sequential?, Sequential?, VisionTransformer?, Sequential?, Parameter?, Linear?) BuildSslBranch(RunConfig c)
    {
        switch (c.SslMethod)
        {
            case SslMethods.MocoV3:
                return (null, SslMlp.MocoV3(3, c.VisionWidth, c.SslMlpDim, c.SslEmbedDim), SslMlp.MocoV3(2, c.SslEmbedDim, c.SslMlpDim, c.SslEmbedDim),
                    MomentumTower(c), SslMlp.MocoV3(3, c.VisionWidth, c.SslMlpDim, c.SslEmbedDim), null, null);
            case SslMethods.Byol:
                return (null, SslMlp.Byol(c.VisionWidth, c.SslMlpDim, c.SslEmbedDim), SslMlp.Byol(c.SslEmbedDim, c.SslMlpDim, c.SslEmbedDim),
                    MomentumTower(c), SslMlp.Byol(c.VisionWidth, c.SslMlpDim, c.SslEmbedDim), null, null);
            case SslMethods.Mim:
                var maskToken = Parameter(zeros(1, 1, c.VisionWidth));
                var head = Linear(c.VisionWidth, c.PatchSize * c.PatchSize * 3);
                using (no_grad())
                {
                    // BEiT: truncated normal (std 0.02) for the mask token and the prediction head, zero bias.
                    Initialization.TruncatedNormal(maskToken, std: 0.02);
                    Initialization.TruncatedNormal(head.weight!, std: 0.02);
                    init.zeros_(head.bias!);
                }

                return (null, null, null, null, null, maskToken, head);
            default:
                return (new SimClrHead(c.VisionWidth, c.SslMlpDim, c.SslEmbedDim), null, null, null, null, null, null);
        }
    }

    private static VisionTransformer MomentumTower(RunConfig c) => new(c.ImageSize, c.PatchSize, c.VisionWidth, c.VisionDepth, c.VisionHeads);

    /// <summary>The (online, momentum) parameter pairs the EMA updates: vision tower and projector.</summary>
    private IEnumerable<(Parameter Online, Parameter Momentum)> MomentumPairs()
    {
        if (momentum_visual is null || momentum_projector is null)
        {
            yield break;
        }

        foreach (var (online, momentum) in visual.parameters().Zip(momentum_visual.parameters()))
        {
            yield return (online, momentum);
        }

        foreach (var (online, momentum) in Require(ssl_projector).parameters().Zip(momentum_projector.parameters()))
        {
            yield return (online, momentum);
        }
    }

    /// <summary>Starts the momentum network as an exact copy of the online one, outside the optimizer's reach.</summary>
    private void CopyToMomentumEncoder()
    {
        using var _ = no_grad();
        foreach (var (online, momentum) in MomentumPairs())
        {
            momentum.copy_(online);
            momentum.requires_grad = false;
        }
    }

    /// <summary>
    /// The EMA step of MoCo v3 and BYOL, after each optimizer step: momentum = m x momentum + (1 - m) x online, for
    /// the vision tower and projector parameters (BatchNorm statistics stay the momentum network's own). No-op for
    /// methods without a momentum network.
    /// </summary>
    public void UpdateMomentumEncoder(double m)
    {
        using var _ = no_grad();
        foreach (var (online, momentum) in MomentumPairs())
        {
            momentum.mul_(m).add_(online, alpha: 1 - m);
        }
    }

    private SlipOutputs ForwardSsl(SlipInputs input)
    {
        var view1 = Require(input.Aug1);
        if (SslMethod == SslMethods.Mim)
        {
            // BEiT-style: masked patches become the mask token; predict their normalised pixels from their output tokens.
            var mask = Require(input.Mask);                                   // [B, T]
            var tokens = visual.Tokens(view1, mask, mim_mask_token);          // [B, T+1, D]
            var patches = tokens.narrow(1, 1, tokens.shape[1] - 1);           // [B, T, D]
            var prediction = Require(mim_head).call(patches[mask]);           // [M, P*P*3]
            return new SlipOutputs(null, null, null, null, null) { MimPrediction = prediction, MimTarget = MaskedPatchLoss.Targets(view1, mask, patchSize) };
        }

        var view2 = Require(input.Aug2);
        if (image_mlp is not null)
        {
            // The reference runs the tower once per view and the head once per view (BN statistics per view).
            return new SlipOutputs(null, null, null, image_mlp.call(visual.call(view1)), image_mlp.call(visual.call(view2)));   // [B, E_ssl] each
        }

        var projector = Require(ssl_projector);
        var predictor = Require(ssl_predictor);
        var q1 = predictor.call(projector.call(visual.call(view1)));          // [B, E_ssl]
        var q2 = predictor.call(projector.call(visual.call(view2)));          // [B, E_ssl]
        using var _ = no_grad();
        var target = Require(momentum_projector);
        var tower = Require(momentum_visual);
        return new SlipOutputs(null, null, null, q1, q2)
        {
            Aug1Target = target.call(tower.call(view1)),                      // [B, E_ssl]
            Aug2Target = target.call(tower.call(view2)),                      // [B, E_ssl]
        };
    }
}
