namespace Slip.Training;

/// <summary>
/// The reference's per-step schedule (slip-reference 5.2): linear warmup from <c>start</c> to the peak over the
/// warmup steps, then cosine from the peak to <c>end</c> over the remaining steps.
/// </summary>
public sealed class LearningRateSchedule(double peak, double start, double end, long warmupSteps, long totalSteps)
{
    public long WarmupSteps { get; } = Math.Min(warmupSteps, totalSteps);

    public long TotalSteps { get; } = totalSteps;

    public double At(long step)
    {
        if (step < WarmupSteps)
        {
            // numpy.linspace(start, peak, warmup): the last warmup step is exactly the peak.
            return WarmupSteps == 1 ? peak : start + ((peak - start) * step / (WarmupSteps - 1));
        }

        var n = TotalSteps - WarmupSteps;
        var i = step - WarmupSteps;
        return end + (0.5 * (peak - end) * (1 + Math.Cos(Math.PI * i / n)));
    }
}
