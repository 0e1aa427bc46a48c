using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training.Torch;

/// <summary>
/// The rows of a contiguous float32 CPU tensor [n, ...] as spans over the tensor's own memory, so the data loader
/// writes each sample's view straight into the batch tensor training reads: no managed batch array to allocate and
/// no copy of it into libtorch (docs/decisions/0024-data-path-memory.md). The tensor must outlive every span taken.
/// </summary>
public sealed unsafe class TensorRows
{
    private readonly Tensor tensor;
    private readonly float* first;

    public TensorRows(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous() || tensor.dim() < 1)
        {
            throw new ArgumentException($"Rows are written into a contiguous float32 CPU tensor, not a {tensor.dtype} tensor on {tensor.device} of shape [{string.Join(", ", tensor.shape)}].", nameof(tensor));
        }

        this.tensor = tensor;
        Count = checked((int)tensor.shape[0]);
        RowLength = Count == 0 ? 0 : checked((int)(tensor.numel() / Count));
        using var storage = tensor.storage<float>();
        first = (float*)storage.data_ptr() + tensor.storage_offset();
    }

    public int Count { get; }

    public int RowLength { get; }

    /// <summary>Row <paramref name="k"/>'s values, writable.</summary>
    public Span<float> Row(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, Count);
        GC.KeepAlive(tensor);
        return new Span<float>(first + ((long)k * RowLength), RowLength);
    }
}
