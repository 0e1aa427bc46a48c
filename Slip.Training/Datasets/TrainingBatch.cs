using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Datasets;

/// <summary>
/// One batch for the model: the CLIP image and tokens and/or the SSL views, depending on the objective; for masked
/// image modelling, the patch mask [B, T] of the first view.
/// </summary>
public sealed record TrainingBatch(Tensor? Image, Tensor? Text, Tensor? Aug1, Tensor? Aug2, Tensor? Mask = null) : IDisposable
{
    /// <summary>Samples in the batch (fewer than the batch size when some could not be decoded).</summary>
    public long Size => (Image ?? Aug1)?.shape[0] ?? 0;

    /// <summary>The model's inputs for this batch.</summary>
    public SlipInputs ToInputs() => new(Image, Text, Aug1, Aug2, Mask);

    public void Dispose()
    {
        Image?.Dispose();
        Text?.Dispose();
        Aug1?.Dispose();
        Aug2?.Dispose();
        Mask?.Dispose();
    }
}
