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

    /// <summary>The model's inputs for this batch, on the CPU.</summary>
    public SlipInputs ToInputs() => ToInputs(CPU);

    /// <summary>The model's inputs for this batch on <paramref name="device"/> (copies the caller's dispose scope owns; the batch keeps its own).</summary>
    public SlipInputs ToInputs(Device device) => new(Move(Image, device), Move(Text, device), Move(Aug1, device), Move(Aug2, device), Move(Mask, device));

    private static Tensor? Move(Tensor? host, Device device) => host is null ? null : Placement.ToDevice(host, device);

    public void Dispose()
    {
        Image?.Dispose();
        Text?.Dispose();
        Aug1?.Dispose();
        Aug2?.Dispose();
        Mask?.Dispose();
    }
}
