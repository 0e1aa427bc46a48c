using static TorchSharp.torch;

namespace Slip.Training.Datasets;

/// <summary>One batch for the model: the CLIP image and tokens and/or the two SSL views, depending on the objective.</summary>
public sealed record TrainingBatch(Tensor? Image, Tensor? Text, Tensor? Aug1, Tensor? Aug2) : IDisposable
{
    public void Dispose()
    {
        Image?.Dispose();
        Text?.Dispose();
        Aug1?.Dispose();
        Aug2?.Dispose();
    }
}
