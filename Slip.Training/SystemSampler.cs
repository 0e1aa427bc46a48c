using System.Diagnostics;
using System.Globalization;

namespace Slip.Training;

/// <summary>
/// The trainer process's own load, logged with its metrics: CPU use (% of one core, as top shows it), resident memory,
/// and on a CUDA device its GPU's utilisation and memory from nvidia-smi (read at most every 10 s; absent when the
/// tool is not there).
/// </summary>
public sealed class SystemSampler(string device)
{
    private static readonly TimeSpan GpuInterval = TimeSpan.FromSeconds(10);
    private readonly Process self = Process.GetCurrentProcess();
    private readonly Stopwatch wall = Stopwatch.StartNew();
    private TimeSpan lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private TimeSpan lastWall;
    private DateTime lastGpu = DateTime.MinValue;
    private (double Util, double MemoryMb)? gpu;
    private bool gpuUnavailable = !device.StartsWith("cuda", StringComparison.Ordinal);

    /// <summary>cpu_pct, rss_mb, and gpu_util_pct / gpu_mem_mb on a GPU, since the previous call.</summary>
    public Dictionary<string, double> Sample()
    {
        self.Refresh();
        var cpu = self.TotalProcessorTime;
        var now = wall.Elapsed;
        var values = new Dictionary<string, double>
        {
            [MetricNames.CpuPct] = (now - lastWall).TotalSeconds > 0 ? 100 * (cpu - lastCpu).TotalSeconds / (now - lastWall).TotalSeconds : 0,
            [MetricNames.RssMb] = self.WorkingSet64 / (1024.0 * 1024.0),
        };
        (lastCpu, lastWall) = (cpu, now);
        if (Gpu() is { } g)
        {
            values[MetricNames.GpuUtilPct] = g.Util;
            values[MetricNames.GpuMemMb] = g.MemoryMb;
        }

        return values;
    }

    private (double Util, double MemoryMb)? Gpu()
    {
        if (gpuUnavailable || DateTime.UtcNow - lastGpu < GpuInterval)
        {
            return gpu;
        }

        lastGpu = DateTime.UtcNow;
        try
        {
            // CUDA_VISIBLE_DEVICES renumbers the visible GPUs from 0; nvidia-smi numbers every GPU, so ask for the one cuda:N is.
            var ordinal = device.Split(':').ElementAtOrDefault(1) ?? "0";
            var index = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")?.Split(',').ElementAtOrDefault(int.Parse(ordinal, CultureInfo.InvariantCulture)) ?? ordinal;
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", $"--query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -i {index}")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            var line = smi?.StandardOutput.ReadLine()?.Split(',', StringSplitOptions.TrimEntries);
            smi?.WaitForExit(2000);
            gpu = line is [var util, var memory] ? (double.Parse(util, CultureInfo.InvariantCulture), double.Parse(memory, CultureInfo.InvariantCulture)) : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or FormatException or InvalidOperationException)
        {
            gpuUnavailable = true;   // no nvidia-smi: GPU metrics stay absent
            gpu = null;
        }

        return gpu;
    }
}
