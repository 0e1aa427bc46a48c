using Slip.Training.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Slip.Training.Losses;

/// <summary>
/// MoCo v3's symmetric contrastive loss on one device: ctr(q1, k2) + ctr(q2, k1), where ctr is the cross-entropy of
/// normalised queries against normalised keys at temperature tau, with the matching key as the label, times 2 tau.
/// </summary>
public static class MocoLoss
{
    /// <summary>Returns the loss and ssl_acc (how often a query's nearest key is its own, in %).</summary>
    public static (Tensor Loss, Tensor Accuracy) Compute(Tensor q1, Tensor q2, Tensor k1, Tensor k2, double temperature)
    {
        var (loss1, hits1) = Contrast(q1, k2, temperature);
        var (loss2, hits2) = Contrast(q2, k1, temperature);
        return (loss1.Plus(loss2), hits1.Plus(hits2).Times(50));
    }

    private static (Tensor Loss, Tensor Hits) Contrast(Tensor q, Tensor k, double temperature)
    {
        var logits = normalize(q, dim: 1).matmul(normalize(k, dim: 1).t()).DividedBy(temperature); // [N, N]
        var labels = HeldScalars.Indices(logits.shape[0], logits.device);                         // [N]
        var hits = logits.argmax(-1).eq(labels).to(ScalarType.Float32).mean();
        return (cross_entropy(logits, labels).Times(2 * temperature), hits);
    }
}
