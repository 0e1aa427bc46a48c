using Slip.Training.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Slip.Training.Losses;

/// <summary>CLIP's symmetric image-text contrastive loss on one device (slip-reference 2.1).</summary>
public static class ClipLoss
{
    /// <summary>Returns the loss and clip_acc (percent of images whose nearest caption is their own).</summary>
    public static (Tensor Loss, Tensor Accuracy) Compute(Tensor imageEmbed, Tensor textEmbed, Tensor logitScale)
    {
        var image = normalize(imageEmbed, dim: -1);                           // [N, E]
        var text = normalize(textEmbed, dim: -1);                             // [N, E]
        var logitsPerImage = logitScale * image.matmul(text.t());             // [N, N]
        var logitsPerText = logitScale * text.matmul(image.t());              // [N, N]
        var labels = HeldScalars.Indices(image.shape[0], image.device);            // [N]
        var loss = cross_entropy(logitsPerImage, labels).Plus(cross_entropy(logitsPerText, labels)).DividedBy(2);
        var accuracy = logitsPerImage.argmax(-1).eq(labels).to(ScalarType.Float32).mean().Times(100);
        return (loss, accuracy);
    }
}
