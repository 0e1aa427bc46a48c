using System.Diagnostics;
using static TorchSharp.torch;

namespace Slip.Training.Cli;

/// <summary>
/// <c>bench --peak</c>: this machine's matrix-product rate through the same libtorch, in fp32 and bf16: square
/// products (2·n³ operations each) of growing size, 1,024 up to <see cref="MaxSize"/>, stopping once one takes over a
/// second (a CPU without bf16 units runs bf16 products far slower); the rate is the median of the largest size's
/// repeats after a warm-up, on the threads (or the device) the bench was given. The anchor for the training step's share
/// (<see cref="Models.StepFlops"/>).
/// </summary>
public static class PeakBench
{
    public const int MaxSize = 4096;

    /// <summary>The rate in GFLOP/s and the size it was measured at.</summary>
    public static (double Gflops, int Size) Measure(ScalarType dtype, int repeats, Device? device = null)
    {
        var size = 1024;
        while (true)
        {
            var (gflops, seconds) = AtSize(dtype, size, repeats, device ?? CPU);
            if (size >= MaxSize || seconds > 1)
            {
                return (gflops, size);
            }

            size *= 2;
        }
    }

    private static (double Gflops, double Seconds) AtSize(ScalarType dtype, int size, int repeats, Device device)
    {
        using var scope = NewDisposeScope();
        var a = randn(size, size, dtype: dtype, device: device);
        var b = randn(size, size, dtype: dtype, device: device);
        Placement.Synchronize(device);
        var times = new List<double>();
        for (var i = 0; i < repeats + 1; i++)
        {
            using var inner = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            a.matmul(b);
            Placement.Synchronize(device);
            times.Add(clock.Elapsed.TotalSeconds);
            if (i == 0 && times[0] > 1)
            {
                break;   // slow at this size: this one (warm-up included) is the measure
            }
        }

        var timed = times.Count > 1 ? times.Skip(1).Order().ToList() : times;
        var median = timed[timed.Count / 2];
        return (2.0 * size * size * size / median / 1e9, median);
    }
}
