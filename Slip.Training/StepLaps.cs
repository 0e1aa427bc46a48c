using System.Diagnostics;

namespace Slip.Training;

/// <summary>
/// Where an optimizer step's time goes, summed over the steps it was given to: the forward (model and losses), the
/// backward, the update (clipping, AdamW, logit-scale clamp, momentum encoder, bf16 copies) and the young-generation
/// collection after it. <c>bench</c> reports the means. On a CUDA device each lap first waits for the device's queued
/// work, so a lap is the kernels' time, not the time to launch them.
/// </summary>
public sealed class StepLaps(TorchSharp.torch.Device? device = null)
{
    private readonly TorchSharp.torch.Device device = device ?? TorchSharp.torch.CPU;
    private long last;

    public TimeSpan Forward { get; private set; }

    public TimeSpan Backward { get; private set; }

    public TimeSpan Update { get; private set; }

    public TimeSpan Collection { get; private set; }

    public int Steps { get; private set; }

    internal void Start()
    {
        Placement.Synchronize(device);
        last = Stopwatch.GetTimestamp();
    }

    internal void ForwardDone() => Forward += Lap();

    internal void BackwardDone() => Backward += Lap();

    internal void UpdateDone() => Update += Lap();

    internal void CollectionDone()
    {
        Collection += Lap();
        Steps++;
    }

    /// <summary>The mean milliseconds of each part per step.</summary>
    public object Means() => new
    {
        ForwardMs = Mean(Forward),
        BackwardMs = Mean(Backward),
        UpdateMs = Mean(Update),
        CollectionMs = Mean(Collection),
    };

    private double Mean(TimeSpan total) => Math.Round(total.TotalMilliseconds / Math.Max(1, Steps), 1);

    private TimeSpan Lap()
    {
        Placement.Synchronize(device);
        var now = Stopwatch.GetTimestamp();
        var lap = Stopwatch.GetElapsedTime(last, now);
        last = now;
        return lap;
    }
}
