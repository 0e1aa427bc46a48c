using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Losses;

/// <summary>
/// The masked-image-modelling loss Slip uses in place of BEiT's dVAE tokens (none is available offline): mean squared
/// error between predicted and true pixels of the masked patches, each target patch normalised by its own mean and
/// variance (MAE's norm_pix_loss).
/// </summary>
public static class MaskedPatchLoss
{
    /// <summary>Images [B, 3, H, W] to patches [B, T, P*P*3], rows in the ViT's patch order, values as (p, q, channel).</summary>
    public static Tensor Patchify(Tensor images, int patchSize)
    {
        var (b, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        var gh = h / patchSize;
        var gw = w / patchSize;
        var x = images.reshape(b, c, gh, patchSize, gw, patchSize);            // [B, C, gh, P, gw, P]
        x = x.permute(0, 2, 4, 3, 5, 1);                                         // [B, gh, gw, P, P, C]
        return x.reshape(b, gh * gw, patchSize * patchSize * c);                 // [B, T, P*P*C]
    }

    /// <summary>Per-patch normalised pixel targets [M, P*P*3] of the masked patches (mask [B, T], true = masked).</summary>
    public static Tensor Targets(Tensor images, Tensor mask, int patchSize)
    {
        var patches = Patchify(images, patchSize)[mask];                        // [M, P*P*3]
        var mean = patches.mean([-1], keepdim: true);
        var variance = patches.var(-1, unbiased: true, keepdim: true);
        return (patches - mean) / variance.Plus(1e-6).sqrt();
    }

    /// <summary>Mean over masked patches of the per-patch mean squared error.</summary>
    public static Tensor Compute(Tensor predictions, Tensor targets) => (predictions - targets).Power(2).mean([-1]).mean();
}
