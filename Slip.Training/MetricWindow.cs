using System.Diagnostics;

namespace Slip.Training;

/// <summary>
/// The steps since the last metrics line: their summed losses, and how long the training thread waited for the loader
/// against the wall time, for the line's means, data_wait_pct and images_per_s.
/// </summary>
internal sealed class MetricWindow
{
    private readonly Dictionary<string, double> sums = [];
    private readonly Stopwatch sinceBatchRequested = new();
    private readonly Stopwatch sinceLine = new();
    private TimeSpan waited;
    private int steps;

    /// <summary>Starts measuring: when training starts, after the model is built and any saved state is loaded.</summary>
    public void Start()
    {
        waited = TimeSpan.Zero;
        sinceLine.Restart();
        sinceBatchRequested.Restart();
    }

    /// <summary>The loop asks the loader for the next batch (time from here to <see cref="BatchArrived"/> is data wait).</summary>
    public void BatchRequested() => sinceBatchRequested.Restart();

    public void BatchArrived() => waited += sinceBatchRequested.Elapsed;

    public void Add(IReadOnlyDictionary<string, float> losses)
    {
        foreach (var (name, value) in losses)
        {
            sums[name] = sums.GetValueOrDefault(name) + value;
        }

        steps++;
    }

    /// <summary>The window's means and rates, then a fresh window.</summary>
    public Dictionary<string, double> Flush(int samplesPerStep)
    {
        var elapsed = sinceLine.Elapsed;
        var values = sums.ToDictionary(kv => kv.Key, kv => kv.Value / steps);
        values[MetricNames.DataWaitPct] = 100 * waited / elapsed;
        values[MetricNames.ImagesPerSecond] = steps * (double)samplesPerStep / elapsed.TotalSeconds;
        sums.Clear();
        steps = 0;
        waited = TimeSpan.Zero;
        sinceLine.Restart();
        return values;
    }
}
