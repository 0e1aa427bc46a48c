using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Training.Models;
using Slip.Training.Ssl;

namespace Slip.Training.Tests;

/// <summary>
/// Micro runs that exercise every code path a trainer has (each objective and SSL method, bf16, gradient accumulation,
/// zero-shot every epoch and the probe at the end, on 32 samples of shapes-mini), and every evaluation on one model:
/// what the harness tests (device placement, the Scalar race) run their code under.
/// </summary>
internal static class EvaluatedRuns
{
    /// <summary>A run by name: clip, simclr, slip, slip-mocov3, slip-byol, slip-mim, slip-bf16 or simclr-accumulated.</summary>
    public static RunConfig Config(string name)
    {
        var eval = new EvalConfig { Samples = 16, ZeroShotEvery = 1, ProbeAtEnd = true };
        var data = new DataConfig { Dataset = "shapes-mini", EpochSamples = 32 };
        var slip = TinyConfigs.Slip(batch: 8) with { Eval = eval, Data = data };
        return name switch
        {
            "clip" => slip with { Objective = Objective.Clip },
            "simclr" => slip with { Objective = Objective.SimClr },
            "slip-mocov3" => TinyConfigs.Slip(batch: 8, SslMethod.MocoV3) with { Eval = eval, Data = data },
            "slip-byol" => TinyConfigs.Slip(batch: 8, SslMethod.Byol) with { Eval = eval, Data = data },
            "slip-mim" => TinyConfigs.Slip(batch: 8, SslMethod.Mim) with { Eval = eval, Data = data },
            "slip-bf16" => TinyConfigs.Slip(batch: 8, precision: Precision.Bf16) with { Eval = eval, Data = data },
            "simclr-accumulated" => TinyConfigs.Slip(batch: 4, updateFreq: 2) with { Objective = Objective.SimClr, Eval = eval, Data = data },
            _ => slip,
        };
    }

    /// <summary>
    /// Every evaluation of <paramref name="model"/>, each run inside <paramref name="harness"/>: zero-shot (ROC-AUC),
    /// both linear-probe protocols, fine-tuning and retrieval, in that order.
    /// </summary>
    public static Dictionary<string, double>[] EveryEvaluation(SlipModel model, RunConfig config, Func<Func<Dictionary<string, double>[]>, Dictionary<string, double>[]> harness)
    {
        var train = EvalSet.Load("shapes-mini", null, train: true, config.Vision.ImageSize, 24, DataRoots.Unrestricted);
        var test = EvalSet.Load("shapes-mini", null, train: false, config.Vision.ImageSize, 16, DataRoots.Unrestricted);
        var tokenizer = Datasets.Tokenizers.Create(config, null);
        return harness(() =>
        [
            ZeroShot.Evaluate(model, test, tokenizer, config.Text.ContextLength, ReportedMetric.RocAuc),
            LinearProbe.Evaluate(model, train, test, new LinearProbeOptions { Epochs = 2, BatchSize = 8 }),
            LinearProbe.Evaluate(model, train, test, new LinearProbeOptions { Protocol = ProbeProtocol.CachedFeatures, Epochs = 2 }),
            FineTune.Evaluate(model, config, train, test, new FineTuneOptions { Epochs = 1, BatchSize = 8 }),
            Retrieval.Evaluate(model, test, tokenizer, config.Text.ContextLength),
        ]);
    }
}
