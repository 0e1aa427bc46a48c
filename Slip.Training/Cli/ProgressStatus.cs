using System.Globalization;

namespace Slip.Training.Cli;

/// <summary>
/// What a person watching a run wants to know, kept from the same <see cref="TrainerEvent"/> stream the worker reads:
/// for training the epoch, step of total, last logged loss, throughput (images/s) and time left; for an evaluation
/// (no epochs: its steps are thousandths of the work) the phase, share done and time left.
/// </summary>
public sealed class ProgressStatus(int epochs)
{
    private long firstStep = -1;
    private TimeSpan firstSeen;

    public long Step { get; private set; }

    public long TotalSteps { get; private set; }

    public double Epoch { get; private set; }

    public double? Loss { get; private set; }

    public double? ImagesPerSecond { get; private set; }

    /// <summary>An evaluation's phase ("fine-tuning epoch 2/100").</summary>
    public string? Phase { get; private set; }

    /// <summary>Time left at the pace since the first event (a resumed run's earlier steps do not count); null until a step is done.</summary>
    public TimeSpan? Remaining { get; private set; }

    public double Fraction => TotalSteps > 0 ? Math.Clamp((double)Step / TotalSteps, 0, 1) : 0;

    /// <summary>
    /// Takes in <paramref name="e"/>, seen <paramref name="elapsed"/> after the run started. True when it brought
    /// numbers worth a line in a log (a logged loss, a new evaluation phase), not just one more step.
    /// </summary>
    public bool Observe(TrainerEvent e, TimeSpan elapsed)
    {
        if (e.Type is not (TrainerEvent.Started or TrainerEvent.Progress or TrainerEvent.Metrics or TrainerEvent.Checkpoint or TrainerEvent.Completed))
        {
            return false;
        }

        TotalSteps = e.TotalSteps > 0 ? e.TotalSteps : TotalSteps;
        Step = e.Step;
        Epoch = e.Epoch;
        if (firstStep < 0)
        {
            (firstStep, firstSeen) = (e.Step, elapsed);
        }
        else if (Step > firstStep && elapsed > firstSeen)
        {
            var stepsPerSecond = (Step - firstStep) / (elapsed - firstSeen).TotalSeconds;
            Remaining = TimeSpan.FromSeconds(Math.Max(0, TotalSteps - Step) / stepsPerSecond);
        }

        if (epochs == 0)
        {
            var newPhase = e.Type is TrainerEvent.Started or TrainerEvent.Progress && e.Message is { } phase && phase != Phase;
            Phase = newPhase ? e.Message : Phase;
            return newPhase;
        }

        if (e.Type == TrainerEvent.Metrics && e.Values is { } values && values.TryGetValue("loss", out var loss))
        {
            Loss = loss;
            ImagesPerSecond = values.TryGetValue("images_per_s", out var rate) ? rate : ImagesPerSecond;
            return true;
        }

        return false;
    }

    /// <summary>The status in one line, e.g. <c>epoch 2/5  step 120/400  loss 2.3412  512 img/s  ETA 0:03:05</c>.</summary>
    public string Line => epochs > 0
        ? $"epoch {EpochNumber}/{epochs}  step {Step}/{TotalSteps}  loss {Format(Loss, "0.0000")}  {Format(ImagesPerSecond, "0.0")} img/s  ETA {Eta}"
        : $"{Phase ?? "starting"}  {Fraction.ToString("0%", CultureInfo.InvariantCulture)}  ETA {Eta}";

    /// <summary>The epoch under way, from 1: the trainer's epoch is fractional (steps done / steps per epoch).</summary>
    public int EpochNumber => Math.Clamp((int)Math.Ceiling(Epoch), 1, Math.Max(1, epochs));

    private string Eta => Remaining is { } t ? Duration(t) : "--";

    /// <summary>
    /// A line to keep above the bar for <paramref name="e"/>: a saved checkpoint, evaluation scores, the outcome;
    /// null for routine progress and for failures (the verb writes those to stderr).
    /// </summary>
    public static string? Note(TrainerEvent e, TimeSpan elapsed) => e.Type switch
    {
        TrainerEvent.Checkpoint => $"epoch {e.Epoch.ToString("0", CultureInfo.InvariantCulture)} saved: {e.Path} ({Format((e.Bytes ?? 0) / 1e6, "0.0")} MB)",
        TrainerEvent.Metrics when e.Values is { } values && !values.ContainsKey("loss") =>
            $"{e.Message ?? $"epoch {e.Epoch.ToString("0", CultureInfo.InvariantCulture)}"}: " + string.Join(", ", values.Select(kv => $"{kv.Key} {Format(kv.Value, "0.##")}")),
        TrainerEvent.Completed => $"completed in {Duration(elapsed)}" + (e.Path is null ? "" : $": {e.Path}"),
        TrainerEvent.Cancelled => $"cancelled at step {e.Step}/{e.TotalSteps}: {e.Message}",
        _ => null,
    };

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "--";

    private static string Duration(TimeSpan t) => $"{(long)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}";
}
