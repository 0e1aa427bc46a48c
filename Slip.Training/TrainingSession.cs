using Slip.Training.Datasets;
using Slip.Training.Evaluation;
using Slip.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>What one training run holds while it trains: data, model, optimizer, schedule, and where it is.</summary>
internal sealed class TrainingSession : IDisposable
{
    public TrainingSession(RunConfig config, ICaptionTokenizer tokenizer, BatchLoader loader, Device device)
    {
        Device = device;
        Tokenizer = tokenizer;
        Loader = loader;
        StepsPerEpoch = loader.BatchesPerEpoch / config.Optim.UpdateFreq;
        TotalSteps = (long)StepsPerEpoch * config.Optim.Epochs;
        Model = new SlipModel(config);
        Model.to(device);      // before the optimizer: moving replaces the parameters it would hold
        Model.train();
        Optimizer = Trainer.CreateOptimizer(Model, config);
        Mixed = config.Optim.Precision == Precision.Bf16 ? new MixedPrecision(Model, config) : null;
        Schedule = new LearningRateSchedule(config.Optim.LearningRate, config.Optim.LearningRateStart, config.Optim.LearningRateEnd,
            (long)Math.Round(config.Optim.WarmupEpochs * StepsPerEpoch), TotalSteps);
    }

    /// <summary>Where the model computes.</summary>
    public Device Device { get; }

    public ICaptionTokenizer Tokenizer { get; }
    public BatchLoader Loader { get; }
    public int StepsPerEpoch { get; }
    public long TotalSteps { get; }
    public SlipModel Model { get; }
    public AdamW Optimizer { get; }

    /// <summary>The bf16 copy that computes, when the run is bf16; <see cref="Model"/> then holds the fp32 master weights.</summary>
    public MixedPrecision? Mixed { get; }

    public LearningRateSchedule Schedule { get; }
    /// <summary>The trainer's CPU, memory and GPU use, sampled from when training starts.</summary>
    public SystemSampler System { get; private set; } = null!;

    public MetricWindow Window { get; } = new();

    /// <summary>Optimizer steps taken so far, over all attempts.</summary>
    public long Step { get; set; }

    /// <summary>The step this attempt started from (0, or where a resumed run continues).</summary>
    public long StartStep { get; set; }

    /// <summary>The epoch the current step is in.</summary>
    public int Epoch => (int)(Step / StepsPerEpoch);

    /// <summary>The held-out evaluation set, loaded on first use.</summary>
    public EvalSet? HeldOut { get; set; }

    /// <summary>The validation split for eval.validate, loaded at its first use.</summary>
    public EvalSet? Validation { get; set; }

    /// <summary>Starts the clocks of throughput, data wait and system use: after building and resuming, which are not training.</summary>
    public void StartMeasuring()
    {
        System = new SystemSampler(Placement.Name(Device));
        Window.Start();
    }

    public void Dispose()
    {
        Mixed?.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
