using Slip.Training.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Slip.Training.Losses;

/// <summary>SimCLR's NT-Xent loss as the SLIP reference computes it on one device (slip-reference 2.2).</summary>
public static class NtXentLoss
{
    /// <summary>Returns the loss and ssl_acc for two views' head outputs [N, E] at temperature <paramref name="temperature"/>.</summary>
    public static (Tensor Loss, Tensor Accuracy) Compute(Tensor aug1Embed, Tensor aug2Embed, double temperature)
    {
        var qa = normalize(aug1Embed, dim: -1);                               // [N, E]
        var qb = normalize(aug2Embed, dim: -1);                               // [N, E]
        var n = qa.shape[0];
        var labels = HeldScalars.Indices(n, qa.device);                            // [N]
        var selfMask = eye(n, dtype: qa.dtype, device: qa.device).Times(1e9);      // [N, N], masks each sample's pair with itself
        var ab = qa.matmul(qb.t()).DividedBy(temperature);                             // [N, N]
        var ba = qb.matmul(qa.t()).DividedBy(temperature);                             // [N, N]
        var aa = qa.matmul(qa.t()).DividedBy(temperature) - selfMask;                  // [N, N]
        var bb = qb.matmul(qb.t()).DividedBy(temperature) - selfMask;                  // [N, N]
        var logitsA = cat([ab, aa], dim: 1);                                  // [N, 2N]
        var logitsB = cat([ba, bb], dim: 1);                                  // [N, 2N]
        var loss = cross_entropy(logitsA, labels).Plus(cross_entropy(logitsB, labels)).DividedBy(2);
        var accuracy = logitsA.argmax(-1).eq(labels).to(ScalarType.Float32).mean().Times(100);
        return (loss, accuracy);
    }
}
