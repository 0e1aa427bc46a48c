using System.Diagnostics;
using System.Runtime.InteropServices;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>What <see cref="DeviceCheck"/> found for one device.</summary>
/// <param name="Device">The device as asked for.</param>
/// <param name="Passed">Usable, and its training steps gave the CPU's losses within <see cref="DeviceCheck.Tolerance"/>.</param>
/// <param name="Summary">One line saying what was found (the reason, when it failed).</param>
/// <param name="CpuLosses">The reference steps' losses on the CPU.</param>
/// <param name="DeviceLosses">The same steps' losses on the device.</param>
/// <param name="MaxRelativeDifference">The largest |device - cpu| / max(1, |cpu|) over the steps.</param>
/// <param name="Seconds">How long the device's part took.</param>
public sealed record DeviceCheckResult(string Device, bool Passed, string Summary, float[]? CpuLosses = null, float[]? DeviceLosses = null, double? MaxRelativeDifference = null, double Seconds = 0);

/// <summary>This libtorch and machine: what the doctor reports before the devices.</summary>
public sealed record TorchReport(string TorchSharp, int Threads, bool CudaAvailable, int CudaDevices, bool CudnnAvailable, string? CpuBf16);

/// <summary>
/// The device self-check behind <c>doctor</c> and each worker's start: the device is one libtorch can use, and
/// <see cref="Steps"/> training steps of a Micro SLIP model on it give the CPU's losses within <see cref="Tolerance"/>
/// (same seed, same initial weights, same batch). The first step's loss checks the forward pass; the later ones
/// check that backward and the AdamW update did the same. On a CPU host it checks the CPU path against itself
/// (deterministic, so the difference is 0); on a GPU host it is the first thing to run.
/// </summary>
public static class DeviceCheck
{
    /// <summary>Relative tolerance on each step's loss: cuDNN's TF32 convolutions and other kernels' orders round differently from the CPU's.</summary>
    public const double Tolerance = 1e-2;

    /// <summary>Training steps compared.</summary>
    public const int Steps = 3;

    /// <summary>The config the check trains: Micro SLIP on the built-in shapes, batch 8.</summary>
    public static RunConfig Config { get; } = new RunConfig
    {
        Objective = Objective.Slip,
        Data = new DataConfig { Dataset = "shapes-mini" },
        Optim = new OptimConfig { BatchSize = 8, Epochs = 1 },
    }.WithModelPreset("Micro");

    /// <summary>This process's libtorch: TorchSharp's version, threads, CUDA and cuDNN, and the CPU's bf16 units.</summary>
    public static TorchReport Report()
    {
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? []
            : [];
        var bf16 = string.Join(", ", flags.Where(f => f is "avx512_bf16" or "amx_bf16"));
        var cudaAvailable = cuda.is_available();
        return new TorchReport(
            typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            get_num_threads(),
            cudaAvailable,
            cudaAvailable ? cuda.device_count() : 0,
            cudaAvailable && cuda.is_cudnn_available(),
            bf16.Length > 0 ? bf16 : null);
    }

    /// <summary>Checks <paramref name="deviceName"/>; never throws for what the device does (that is the finding).</summary>
    public static DeviceCheckResult Run(string deviceName)
    {
        Device device;
        try
        {
            device = Placement.Parse(deviceName);
        }
        catch (ArgumentException ex)
        {
            return new DeviceCheckResult(deviceName, false, ex.Message);
        }

        try
        {
            var cpuLosses = TrainSteps(CPU);
            var clock = Stopwatch.StartNew();
            var deviceLosses = TrainSteps(device);
            return Compare(deviceName, Placement.Name(device), cpuLosses, deviceLosses, clock.Elapsed.TotalSeconds);
        }
        catch (Exception ex) when (ex is ExternalException or InvalidOperationException or ArgumentException)
        {
            // libtorch's errors (out of memory, no kernel image for this GPU, a driver too old) come as ExternalException.
            return new DeviceCheckResult(deviceName, false, $"{deviceName} failed a training step: {FirstLine(ex.Message)}");
        }
    }

    /// <summary>The verdict on a device's losses against the CPU's: all finite, and each within <see cref="Tolerance"/> (relative to max(1, |cpu|)).</summary>
    public static DeviceCheckResult Compare(string asked, string name, float[] cpuLosses, float[] deviceLosses, double seconds)
    {
        var differences = cpuLosses.Zip(deviceLosses, (c, d) => Math.Abs((double)d - c) / Math.Max(1, Math.Abs(c))).ToArray();
        var finite = deviceLosses.All(float.IsFinite);
        var worst = finite ? differences.Max() : double.PositiveInfinity;
        var passed = finite && worst <= Tolerance;
        var summary = !finite
            ? $"{name} gave a loss that is not finite ({string.Join(", ", deviceLosses)}); the CPU gave {string.Join(", ", cpuLosses)}."
            : passed
            ? $"{name} trains: {cpuLosses.Length} Micro SLIP steps match the CPU's losses (largest relative difference {worst:G3}, tolerance {Tolerance:G3}) in {seconds:F2} s."
            : $"{name} gives different losses from the CPU: step {Array.IndexOf(differences, worst) + 1} differs by {worst:G3} (tolerance {Tolerance:G3}); CPU {string.Join(", ", cpuLosses)}, device {string.Join(", ", deviceLosses)}.";
        return new DeviceCheckResult(asked, passed, summary, cpuLosses, deviceLosses, finite ? worst : null, seconds);
    }

    /// <summary>The losses of <see cref="Steps"/> steps on one batch, from the seed's initial weights, on <paramref name="device"/>.</summary>
    public static float[] TrainSteps(Device device)
    {
        var config = Config;
        manual_seed(config.Seed);
        using var model = new SlipModel(config);
        model.to(device);
        model.train();
        using var optimizer = Trainer.CreateOptimizer(model, config);
        var loader = new BatchLoader(SampleSources.Open(config, DataRoots.Unrestricted), config, Tokenizers.Create(config, null)) { Device = device };
        using var batch = loader.Build(loader.Order(0).Take(config.Optim.BatchSize).ToArray(), epoch: 0);
        return Enumerable.Range(0, Steps).Select(_ => Trainer.Step(model, optimizer, batch, config)[MetricNames.Loss]).ToArray();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
