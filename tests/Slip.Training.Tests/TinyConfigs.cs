
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
        ImageSize = 16,
        PatchSize = 4,
        VisionWidth = 32,
        VisionDepth = 2,
        VisionHeads = 2,
        TextWidth = 32,
        TextLayers = 2,
        TextHeads = 2,
        ContextLength = 16,
        EmbedDim = 32,
        SslMlpDim = 64,
        SslEmbedDim = 16,
    };
}
