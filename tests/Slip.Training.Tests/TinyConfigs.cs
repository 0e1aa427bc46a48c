
namespace Slip.Training.Tests;

/// <summary>Small, fast configs for tests.</summary>
internal static class TinyConfigs
{
    public static RunConfig Slip(int batch = 8) => new RunConfig
    {
        Objective = Objective.Slip,
        Dataset = "shapes-mini",
        Epochs = 1,
        BatchSize = batch,
        LogEvery = 2,
    }.WithModelPreset("Micro");
}
