using Slip.Training.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Slip.Training.Losses;

/// <summary>
/// BYOL's symmetric regression loss: the online prediction of each view regresses the target projection of the other,
/// <c>2 - 2 cos(p, z')</c> averaged over the batch, summed over both directions.
/// </summary>
public static class ByolLoss
{
    /// <summary>
    /// Returns the loss and ssl_acc: BYOL has no classification, so ssl_acc is in-batch retrieval, how often a
    /// prediction's most similar target is its own (in %), comparable to the contrastive methods' accuracy.
    /// </summary>
    public static (Tensor Loss, Tensor Accuracy) Compute(Tensor p1, Tensor p2, Tensor z1, Tensor z2)
    {
        var (loss1, hits1) = Regress(p1, z2);
        var (loss2, hits2) = Regress(p2, z1);
        return (loss1.Plus(loss2), hits1.Plus(hits2).Times(50));
    }

    private static (Tensor Loss, Tensor Hits) Regress(Tensor p, Tensor z)
    {
        var pn = normalize(p, dim: -1);                                        // [N, E]
        var zn = normalize(z, dim: -1);                                        // [N, E]
        var loss = (pn * zn).sum(-1).Times(2).SubtractedFrom(2).mean();
        using var _ = no_grad();
        var labels = HeldScalars.Indices(p.shape[0], p.device);
        var hits = pn.matmul(zn.t()).argmax(-1).eq(labels).to(ScalarType.Float32).mean();
        return (loss, hits);
    }
}
