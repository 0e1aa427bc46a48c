namespace Slip.Training.Tests;

/// <summary>
/// Tests that set TorchSharp's process-wide state (the default device, or the global RNG through manual_seed and then
/// rely on the numbers it gives) run alone: another test drawing random numbers in parallel would change them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchState
{
    public const string Name = "global torch state";
}
