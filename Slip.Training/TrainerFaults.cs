namespace Slip.Training;

/// <summary>
/// Faults a test can ask a trainer to simulate: a loss that becomes NaN at a step (as a diverging run reports it), and
/// a pause after a step (as a long step would) until the run is cancelled or killed, for tests of crashes and
/// restarts. A child-process trainer gets them from its environment, read once by the CLI.
/// </summary>
public sealed record TrainerFaults(long? NanAtStep = null, long? PauseAfterStep = null)
{
    public const string NanAtStepVariable = "SLIP_FAULT_NAN_AT_STEP";
    public const string PauseAfterStepVariable = "SLIP_FAULT_PAUSE_AFTER_STEP";

    public static TrainerFaults None { get; } = new();

    /// <summary>The faults named by <see cref="NanAtStepVariable"/> and <see cref="PauseAfterStepVariable"/>.</summary>
    public static TrainerFaults FromEnvironment() => new(Read(NanAtStepVariable), Read(PauseAfterStepVariable));

    private static long? Read(string variable) => long.TryParse(Environment.GetEnvironmentVariable(variable), out var step) ? step : null;
}
