using Slip.Training.Ssl;

namespace Slip.Training.Tests;

/// <summary>Small, fast configs for tests.</summary>
internal static class TinyConfigs
{
    /// <summary>A Micro SLIP run on shapes-mini for one epoch, with an SSL method's defaults and optionally bf16.</summary>
    public static RunConfig Slip(int batch = 8, SslMethod method = SslMethod.SimClr, int epochs = 1, Precision precision = Precision.Fp32, int updateFreq = 1)
    {
        var config = new RunConfig
        {
            Objective = Objective.Slip,
            Data = new DataConfig { Dataset = "shapes-mini" },
            Optim = new OptimConfig { Epochs = epochs, BatchSize = batch, Precision = precision, UpdateFreq = updateFreq },
            LogEvery = 2,
        }.WithModelPreset("Micro");
        return config with { Ssl = SslMethods.Of(method).WithDefaults(config.Ssl) };
    }

    /// <summary>
    /// The config with the text shape reference/make_fixtures.py made the parity fixtures with: the byte tokenizer's
    /// 259-token vocabulary at context 16 (Micro's text tower before CLIP's tokenizer became every preset's default).
    /// </summary>
    public static RunConfig WithFixtureText(this RunConfig config) => config with { Text = config.Text with { Tokenizer = Tokenizer.Byte, VocabSize = Datasets.ByteTokenizer.VocabSize, ContextLength = 16 } };
}
