using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>
/// Where tensors live, in one place. Models are built on the CPU (so one seed gives the same initial weights on every
/// device) and then moved to the compute device; host data (decoded batches, labels, token ids) becomes a CPU tensor,
/// pinned when the device is CUDA, and is copied over without blocking; values read back for metrics come back to the
/// host first. Nothing in the trainer or the evaluations creates a tensor on the default device: the device-placement
/// tests run them with the default set to <c>meta</c>, where such a tensor fails at once (docs/decisions/0020).
/// </summary>
public static class Placement
{
    /// <summary>The devices the CLI's <c>--device</c> takes: <c>cpu</c>, <c>cuda</c> (the first visible GPU) or <c>cuda:N</c>.</summary>
    public const string Accepted = "cpu, cuda or cuda:N";

    /// <summary>
    /// The device <paramref name="name"/> names, checked against what this libtorch has: an unknown name, a CUDA device
    /// on a CPU-only build or host, or an index past the visible GPUs is refused with what there is.
    /// </summary>
    public static Device Parse(string name)
    {
        var text = name.Trim().ToLowerInvariant();
        if (text == "cpu")
        {
            return CPU;
        }

        var index = text == "cuda" ? 0
            : text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
            : throw new ArgumentException($"'{name}' is not a device: use {Accepted}.");
        if (!cuda.is_available())
        {
            throw new ArgumentException($"'{name}' asks for a GPU, but this Slip's libtorch sees no CUDA device (a CPU-only build, built without -p:SlipCuda=true, or no GPU visible: check nvidia-smi and CUDA_VISIBLE_DEVICES).");
        }

        var count = cuda.device_count();
        return index < count
            ? new Device(DeviceType.CUDA, index)
            : throw new ArgumentException($"'{name}' is not visible: libtorch sees {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")}); CUDA_VISIBLE_DEVICES renumbers them from 0.");
    }

    /// <summary>The name <see cref="Parse"/> reads back: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public static string Name(Device device) => device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index)}" : device.type.ToString().ToLowerInvariant();

    /// <summary>The device a module's parameters are on (the CPU for a module without parameters).</summary>
    public static Device DeviceOf(nn.Module module) => module.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>
    /// Makes the CPU the default device until disposed, then restores the previous default: what builds models and
    /// reads checkpoints, so weights start on the host whatever the default is.
    /// </summary>
    public static IDisposable OnHost() => MakingOn(CPU);

    /// <summary>Makes <paramref name="device"/> the default device until disposed, then restores the previous default.</summary>
    public static IDisposable MakingOn(Device device) => new DefaultDevice(device);

    /// <summary>Host values as a tensor on <paramref name="device"/> (built in CPU memory, then copied as <see cref="ToDevice(Tensor, Device)"/> does).</summary>
    public static Tensor ToDevice(float[] values, long[] shape, Device device) => Moved(tensor(values, shape, device: CPU), device);

    /// <inheritdoc cref="ToDevice(float[], long[], Device)"/>
    public static Tensor ToDevice(long[] values, long[] shape, Device device) => Moved(tensor(values, shape, device: CPU), device);

    /// <summary>
    /// A host tensor on <paramref name="device"/>: the tensor itself when it is already there; on CUDA copied without
    /// blocking from pinned memory (the batch loader pins batches as it builds them; anything else is pinned here), so
    /// the copy overlaps the host's next work and the stream orders it before the kernels that read it. The host tensor
    /// stays its owner's to dispose.
    /// </summary>
    public static Tensor ToDevice(Tensor host, Device device)
    {
        if (host.device_type == device.type && (device.type == DeviceType.CPU || host.device_index == device.index))
        {
            return host;
        }

        if (device.type != DeviceType.CUDA || host.device_type != DeviceType.CPU)
        {
            return host.to(device);
        }

        // The pinned copy may be disposed at once: libtorch's pinned-memory allocator keeps the block until the copy that reads it is done.
        using var pinned = host.is_pinned() ? null : host.pin_memory();
        return (pinned ?? host).to(device, non_blocking: true);
    }

    /// <summary>Pinned (page-locked) host memory for a tensor that will be copied to a CUDA device; the tensor itself otherwise. Disposes what it replaces.</summary>
    public static Tensor PinnedFor(Tensor host, Device device)
    {
        if (device.type != DeviceType.CUDA)
        {
            return host;
        }

        using (host)
        {
            return host.pin_memory();
        }
    }

    /// <summary>Waits for the work queued on <paramref name="device"/> (CUDA kernels run asynchronously): what a timing must do before it reads its clock.</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }

    private static Tensor Moved(Tensor created, Device device)
    {
        var moved = ToDevice(created, device);
        if (!ReferenceEquals(moved, created))
        {
            created.Dispose();
        }

        return moved;
    }

    /// <summary>A tensor's values on the host, whatever device it is on (<c>data&lt;T&gt;</c> reads CPU memory only).</summary>
    public static T[] ToHost<T>(Tensor values)
        where T : unmanaged
    {
        if (values.device.type == DeviceType.CPU)
        {
            return values.data<T>().ToArray();
        }

        using var host = values.cpu();
        return host.data<T>().ToArray();
    }

    private sealed class DefaultDevice : IDisposable
    {
        private readonly Device previous = get_default_device();

        public DefaultDevice(Device device) => set_default_device(device);

        public void Dispose() => set_default_device(previous);
    }
}
