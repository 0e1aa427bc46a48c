using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Training.Models;
using Slip.Training.Objectives;
using Slip.Training.Ssl;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingOutcome
{
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// The training loop: builds the model, AdamW with the reference's weight-decay rule and warmup + cosine schedule,
/// trains for the configured epochs, reports metrics every <see cref="RunConfig.LogEvery"/> steps and writes a
/// checkpoint at the end of each epoch. Everything it has to say goes out as <see cref="TrainerEvent"/>s.
/// </summary>
public sealed class Trainer(
    RunConfig config,
    string outputDirectory,
    Action<TrainerEvent> emit,
    Func<bool> cancelRequested,
    string? bpeVocabularyPath = null,
    bool resume = false,
    DataRoots? dataRoots = null)
{
    /// <summary>
    /// Fault injection for tests of the failure path: when this environment variable holds a step number, the loss
    /// at that step is replaced by NaN, exactly as a diverging run would report it.
    /// </summary>
    public const string FaultNanAtStepVariable = "SLIP_FAULT_NAN_AT_STEP";

    private static readonly long? FaultNanAtStep =
        long.TryParse(Environment.GetEnvironmentVariable(FaultNanAtStepVariable), out var s) ? s : null;

    /// <summary>
    /// Fault injection for tests of crashes and restarts: a run started from step 0 stops after this step (its metrics
    /// sent) and waits, as a long step would, until it is cancelled or killed. A resumed run does not wait.
    /// </summary>
    public const string FaultPauseAfterStepVariable = "SLIP_FAULT_PAUSE_AFTER_STEP";

    private static readonly long? FaultPauseAfterStep =
        long.TryParse(Environment.GetEnvironmentVariable(FaultPauseAfterStepVariable), out var p) ? p : null;

    /// <summary>Splits parameters as the reference does: no decay for ndim &lt; 2 or names containing bias, ln or bn.</summary>
    public static (List<(string Name, Parameter Parameter)> Decay, List<(string Name, Parameter Parameter)> NoDecay) WeightDecayGroups(nn.Module model)
    {
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad)
            {
                continue;
            }

            var exclude = p.dim() < 2 || name.Contains("bias", StringComparison.Ordinal) || name.Contains("ln", StringComparison.Ordinal) || name.Contains("bn", StringComparison.Ordinal);
            (exclude ? noDecay : decay).Add((name, p));
        }

        return (decay, noDecay);
    }

    public TrainingOutcome Run()
    {
        outputDirectory = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        File.WriteAllText(Path.Combine(outputDirectory, "config.json"), config.ToJson());
        manual_seed(config.Seed);

        ICaptionTokenizer tokenizer;
        try
        {
            tokenizer = Tokenizers.Create(config, bpeVocabularyPath);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = ex.Message });
            return TrainingOutcome.Failed;
        }

        BatchLoader loader;
        try
        {
            loader = new BatchLoader(SampleSources.Open(config, dataRoots ?? DataRoots.Unrestricted), config, tokenizer);
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = $"Dataset '{config.Dataset}': {ex.Message}" });
            return TrainingOutcome.Failed;
        }

        var stepsPerEpoch = loader.BatchesPerEpoch / config.UpdateFreq;
        if (stepsPerEpoch == 0)
        {
            emit(new TrainerEvent
            {
                Type = TrainerEvent.Failed,
                Message = $"Dataset '{config.Dataset}' has fewer samples per epoch than one step of {config.UpdateFreq} x {config.BatchSize}; lower the batch size or the accumulation.",
            });
            return TrainingOutcome.Failed;
        }

        using var model = new SlipModel(config);
        model.train();
        using var optimizer = CreateOptimizer(model, config);
        using var mixed = config.Precision == MixedPrecision.Bf16 ? new MixedPrecision(model, config) : null;
        var totalSteps = (long)stepsPerEpoch * config.Epochs;
        var schedule = new LearningRateSchedule(config.LearningRate, config.LearningRateStart, config.LearningRateEnd,
            (long)Math.Round(config.WarmupEpochs * stepsPerEpoch), totalSteps);

        long step = 0;
        EvalSet? zeroShotSet = null;
        if (resume && ResumeState.Exists(outputDirectory))
        {
            try
            {
                step = ResumeState.Load(outputDirectory, config, model, optimizer);
                mixed?.CopyWeightsToCompute();
            }
            catch (InvalidDataException ex)
            {
                emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = ex.Message });
                return TrainingOutcome.Failed;
            }
        }

        var startStep = step;
        emit(new TrainerEvent { Type = TrainerEvent.Started, Step = step, TotalSteps = totalSteps, Epoch = Fractional(step, loader) });
        var sums = new Dictionary<string, double>();

        // How long the training thread waits for the loader, against the wall time, between two metric lines.
        var sinceBatch = System.Diagnostics.Stopwatch.StartNew();
        var sinceLog = System.Diagnostics.Stopwatch.StartNew();
        var waited = TimeSpan.Zero;
        var system = new SystemSampler(cuda.is_available() ? "cuda:0" : "cpu");
        var count = 0;
        for (var epoch = (int)(step / stepsPerEpoch); epoch < config.Epochs; epoch++)
        {
            // A resumed run continues mid-epoch: the epoch's order is fixed by (seed, epoch), so skip what was done.
            var skipSteps = (int)(step - ((long)epoch * stepsPerEpoch));
            foreach (var microBatches in loader.Epoch(epoch, skipBatches: skipSteps * config.UpdateFreq).Chunk(config.UpdateFreq).Take(stepsPerEpoch - skipSteps))
            {
                waited += sinceBatch.Elapsed;
                try
                {
                    var lr = schedule.At(step);
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = lr;
                    }

                    var momentum = SslMethods.MomentumAt(config.SslMomentum, step, totalSteps);
                    // A batch left with fewer than two usable samples (the rest undecodable) is passed over; the step still counts.
                    var losses = microBatches.All(b => b.Size >= 2)
                        ? Step(model, optimizer, microBatches, config, injectNan: FaultNanAtStep == step, mixed, momentum)
                        : new Dictionary<string, float> { ["loss"] = 0f };
                    var lossValue = losses["loss"];
                    if (!float.IsFinite(lossValue))
                    {
                        emit(new TrainerEvent
                        {
                            Type = TrainerEvent.Failed,
                            Step = step,
                            TotalSteps = totalSteps,
                            Epoch = Fractional(step, loader),
                            Message = $"The loss became {lossValue} at step {step} (epoch {epoch + 1}); training stopped. Try a lower learning rate.",
                        });
                        return TrainingOutcome.Failed;
                    }

                    foreach (var (name, value) in losses)
                    {
                        sums[name] = sums.GetValueOrDefault(name) + value;
                    }

                    count++;
                    step++;
                    var endOfEpoch = step % stepsPerEpoch == 0;
                    if (step % config.LogEvery == 0 || endOfEpoch)
                    {
                        var values = sums.ToDictionary(kv => kv.Key, kv => kv.Value / count);
                        values["lr"] = lr;
                        values["data_wait_pct"] = 100 * waited / sinceLog.Elapsed;
                        values["images_per_s"] = count * (double)config.BatchSize * config.UpdateFreq / sinceLog.Elapsed.TotalSeconds;
                        foreach (var (name, value) in system.Sample())
                        {
                            values[name] = value;
                        }

                        waited = TimeSpan.Zero;
                        sinceLog.Restart();
                        if (loader.Skipped > 0)
                        {
                            values["data_skipped"] = loader.Skipped;
                        }

                        if (model.LogitScale is { } logScale)
                        {
                            values["logit_scale"] = Math.Exp(logScale.item<float>());
                        }

                        emit(new TrainerEvent { Type = TrainerEvent.Metrics, Step = step, TotalSteps = totalSteps, Epoch = Fractional(step, loader), Values = values });
                        sums.Clear();
                        count = 0;
                    }
                    else
                    {
                        emit(new TrainerEvent { Type = TrainerEvent.Progress, Step = step, TotalSteps = totalSteps, Epoch = Fractional(step, loader) });
                    }
                }
                finally
                {
                    foreach (var batch in microBatches)
                    {
                        batch.Dispose();
                    }
                }

                while (FaultPauseAfterStep == step && startStep == 0 && !cancelRequested())
                {
                    Thread.Sleep(50);
                }

                if (cancelRequested())
                {
                    mixed?.CopyBuffersToMaster();
                    ResumeState.Save(outputDirectory, config, model, optimizer, step);
                    emit(new TrainerEvent { Type = TrainerEvent.Cancelled, Step = step, TotalSteps = totalSteps, Epoch = Fractional(step, loader), Message = "Cancelled on request." });
                    return TrainingOutcome.Cancelled;
                }

                sinceBatch.Restart();
            }

            mixed?.CopyBuffersToMaster();
            CheckpointFile file;
            try
            {
                file = Checkpoints.Save(model, Path.Combine(outputDirectory, $"epoch_{epoch + 1:D3}.pt"));
                ResumeState.Save(outputDirectory, config, model, optimizer, step);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Checkpoints are written to a temporary file and renamed, so the earlier ones are untouched.
                emit(new TrainerEvent
                {
                    Type = TrainerEvent.Failed,
                    Step = step,
                    TotalSteps = totalSteps,
                    Epoch = epoch + 1,
                    Message = $"Could not write the epoch {epoch + 1} checkpoint in '{outputDirectory}' (is the disk full or the folder not writable?): {ex.Message} Earlier checkpoints are intact.",
                });
                return TrainingOutcome.Failed;
            }

            emit(new TrainerEvent { Type = TrainerEvent.Checkpoint, Step = step, TotalSteps = totalSteps, Epoch = epoch + 1, Path = file.Path, Bytes = file.Bytes, Sha256 = file.Sha256 });
            if (config.ZeroShotEvery > 0 && (epoch + 1) % config.ZeroShotEvery == 0 && model.HasText && (zeroShotSet ??= ZeroShotSet()) is { } evalSet)
            {
                model.eval();
                var scores = ZeroShot.Evaluate(model, evalSet, tokenizer, config.ContextLength);
                model.train();
                emit(new TrainerEvent
                {
                    Type = TrainerEvent.Metrics,
                    Step = step,
                    TotalSteps = totalSteps,
                    Epoch = epoch + 1,
                    Values = scores.ToDictionary(kv => "zeroshot_" + kv.Key, kv => kv.Value),
                });
            }

            sinceBatch.Restart();
        }

        if (config.ProbeAtEnd && (zeroShotSet ??= ZeroShotSet()) is { } probeTest)
        {
            model.eval();
            var train = EvalSet.Load(config.Dataset, config.Data, train: true, config.ImageSize, 5 * config.EvalSamples, dataRoots ?? DataRoots.Unrestricted);
            var probe = LinearProbe.Evaluate(model, train, probeTest, new LinearProbeOptions { Seed = config.Seed });
            emit(new TrainerEvent { Type = TrainerEvent.Metrics, Step = step, TotalSteps = totalSteps, Epoch = config.Epochs, Values = probe });
        }

        emit(new TrainerEvent { Type = TrainerEvent.Completed, Step = step, TotalSteps = totalSteps, Epoch = config.Epochs });
        return TrainingOutcome.Completed;
    }

    /// <summary>
    /// The held-out set for in-training zero-shot: a built-in dataset's held-out split or Fashion-MNIST's test split;
    /// null (no evaluation) for other sources, which have no class names.
    /// </summary>
    private EvalSet? ZeroShotSet() => config.Data is null || config.Data.Format == DatasetFormats.FashionMnist
        ? EvalSet.Load(config.Dataset, config.Data, train: false, config.ImageSize, config.EvalSamples, dataRoots ?? DataRoots.Unrestricted)
        : null;

    /// <summary>AdamW as the reference configures it: betas (0.9, 0.98), eps 1e-8, decay only where the reference's rule says.</summary>
    public static AdamW CreateOptimizer(SlipModel model, RunConfig config)
    {
        var (decay, noDecay) = WeightDecayGroups(model);
        return optim.AdamW(
            [
                new AdamW.ParamGroup(decay.Select(d => d.Parameter), new AdamW.Options { weight_decay = config.WeightDecay }),
                new AdamW.ParamGroup(noDecay.Select(d => d.Parameter), new AdamW.Options { weight_decay = 0.0 }),
            ],
            lr: config.LearningRate, beta1: 0.9, beta2: 0.98, eps: 1e-8);
    }

    /// <summary>One optimizer step on one batch; see the overload for micro-batches.</summary>
    public static Dictionary<string, float> Step(SlipModel model, optim.Optimizer optimizer, TrainingBatch batch, RunConfig config, bool injectNan = false, MixedPrecision? mixed = null) =>
        Step(model, optimizer, [batch], config, injectNan, mixed);

    /// <summary>
    /// One optimizer step over <paramref name="microBatches"/> (gradient accumulation: each loss is divided by their
    /// count): forward, named losses, backward, optional gradient clipping, AdamW step, logit-scale clamp and, for
    /// MoCo v3 and BYOL, the EMA step of the momentum network at <paramref name="momentum"/> (default: the base momentum). Returns the
    /// losses averaged over the micro-batches (and grad_norm when clipping); when a loss is not finite nothing is
    /// updated. With <paramref name="mixed"/>, the bf16 copy computes and <paramref name="model"/> holds the fp32 master weights.
    /// </summary>
    public static Dictionary<string, float> Step(
        SlipModel model, optim.Optimizer optimizer, IReadOnlyList<TrainingBatch> microBatches, RunConfig config, bool injectNan = false, MixedPrecision? mixed = null, double? momentum = null)
    {
        // The outer scope frees what the optimizer and clipping allocate; the inner one each micro-batch's activations.
        using var stepScope = NewDisposeScope();
        optimizer.zero_grad();
        mixed?.Compute.zero_grad();
        var values = new Dictionary<string, float>();
        foreach (var batch in microBatches)
        {
            using var scope = NewDisposeScope();
            var outputs = mixed is null
                ? model.call(batch.ToInputs())
                : Fp32(mixed.Compute.call(new SlipInputs(
                    MixedPrecision.ToCompute(batch.Image), batch.Text, MixedPrecision.ToCompute(batch.Aug1), MixedPrecision.ToCompute(batch.Aug2), batch.Mask)));
            var losses = ObjectiveLosses.Compute(config, outputs);
            foreach (var (name, value) in losses)
            {
                values[name] = values.GetValueOrDefault(name) + (value.item<float>() / microBatches.Count);
            }

            if (injectNan)
            {
                values["loss"] = float.NaN;
            }

            if (!float.IsFinite(values["loss"]))
            {
                return values;
            }

            (losses["loss"] / microBatches.Count).backward();
        }

        mixed?.CopyGradientsToMaster();
        if (config.GradClipNorm is { } maxNorm)
        {
            values["grad_norm"] = (float)nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
        }

        optimizer.step();
        model.ClampLogitScale();
        model.UpdateMomentumEncoder(momentum ?? config.SslMomentum);
        mixed?.CopyWeightsToCompute();

        // TorchSharp's AdamW step leaves native objects that only finalizers free (about 1 MB a step at Tiny size), and
        // the managed heap grows too slowly for the GC to run on its own: a young-generation collection per step keeps
        // resident memory from creeping (docs/benchmarks.md, "Memory over 200 steps").
        GC.Collect(1);
        return values;
    }

    /// <summary>Losses and softmax run in fp32 whatever precision computed the embeddings.</summary>
    private static SlipOutputs Fp32(SlipOutputs o) => new(
        o.ImageEmbed?.to(ScalarType.Float32), o.TextEmbed?.to(ScalarType.Float32), o.LogitScale?.to(ScalarType.Float32),
        o.Aug1Embed?.to(ScalarType.Float32), o.Aug2Embed?.to(ScalarType.Float32))
    {
        Aug1Target = o.Aug1Target?.to(ScalarType.Float32),
        Aug2Target = o.Aug2Target?.to(ScalarType.Float32),
        MimPrediction = o.MimPrediction?.to(ScalarType.Float32),
        MimTarget = o.MimTarget?.to(ScalarType.Float32),
    };

    private double Fractional(long step, BatchLoader loader) => (double)step / (loader.BatchesPerEpoch / config.UpdateFreq);
}
