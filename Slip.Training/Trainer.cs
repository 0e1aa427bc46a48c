using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Training.Ssl;
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
/// trains for the configured epochs, reports metrics every <see cref="RunConfig.LogEvery"/> steps, writes a checkpoint
/// and evaluates zero-shot at the end of each epoch, and probes linearly at the end. Everything it has to say goes out
/// as <see cref="TrainerEvent"/>s. The model and its batches are on <c>device</c> (the CPU unless given; see <see cref="Placement"/>).
/// </summary>
public sealed partial class Trainer(
    RunConfig config,
    string outputDirectory,
    Action<TrainerEvent> emit,
    Func<bool> cancelRequested,
    string? bpeVocabularyPath = null,
    bool resume = false,
    DataRoots? dataRoots = null,
    TrainerFaults? faults = null,
    Device? device = null)
{
    private readonly Device device = device ?? CPU;
    private readonly string output = Path.GetFullPath(outputDirectory);
    private readonly DataRoots roots = dataRoots ?? DataRoots.Unrestricted;
    private readonly TrainerFaults faults = faults ?? TrainerFaults.None;

    public TrainingOutcome Run()
    {
        try
        {
            using var exclusive = LockOutput();
            using var run = Build();
            Resume(run);
            Emit(run, TrainerEvent.Started);
            run.StartMeasuring();
            for (var epoch = run.Epoch; epoch < config.Optim.Epochs; epoch++)
            {
                if (TrainEpoch(run, epoch) == TrainingOutcome.Cancelled)
                {
                    return TrainingOutcome.Cancelled;
                }

                SaveCheckpoint(run, epoch);
                EvaluateZeroShot(run, epoch);
            }

            ProbeAtEnd(run);
            Emit(run, TrainerEvent.Completed, epoch: config.Optim.Epochs);
            return TrainingOutcome.Completed;
        }
        catch (TrainingFailure failure)
        {
            emit(failure.Event);
            return TrainingOutcome.Failed;
        }
    }

    /// <summary>
    /// The output folder's lock, held for the whole run: a second trainer on the same folder (a worker cut off from the
    /// database that trained on, an orphan) fails at once instead of mixing its checkpoints and resume state with this
    /// one's. An advisory lock (flock) on <c>.trainer.lock</c>, released by the kernel however the process ends.
    /// </summary>
    private FileStream LockOutput()
    {
        Directory.CreateDirectory(output);
        var file = Path.Combine(output, ".trainer.lock");
        try
        {
            return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new TrainingFailure($"Another trainer is writing to '{output}' (it holds {file}); this one stops, so two never write one run's checkpoints.");
        }
    }

    /// <summary>Output folder and config.json, seed, tokenizer, data, then model, optimizer and schedule.</summary>
    private TrainingSession Build()
    {
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "config.json"), config.ToJson());
        manual_seed(config.Seed);
        ICaptionTokenizer tokenizer;
        try
        {
            tokenizer = Tokenizers.Create(config, bpeVocabularyPath);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            throw new TrainingFailure(ex.Message);
        }

        BatchLoader loader;
        try
        {
            loader = new BatchLoader(SampleSources.Open(config, roots), config, tokenizer) { Device = device };
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            throw new TrainingFailure($"Dataset '{config.Data.Dataset}': {ex.Message}");
        }

        if (loader.BatchesPerEpoch / config.Optim.UpdateFreq == 0)
        {
            throw new TrainingFailure(
                $"Dataset '{config.Data.Dataset}' has fewer samples per epoch than one step of {config.Optim.UpdateFreq} x {config.Optim.BatchSize}; lower the batch size or the accumulation.");
        }

        return new TrainingSession(config, tokenizer, loader, device);
    }

    /// <summary>With --resume and a saved state: model, optimizer and step as they were saved.</summary>
    private void Resume(TrainingSession run)
    {
        if (!resume || !ResumeState.Exists(output))
        {
            return;
        }

        try
        {
            run.Step = run.StartStep = ResumeState.Load(output, config, run.Model, run.Optimizer);
            run.Mixed?.CopyWeightsToCompute();
        }
        catch (InvalidDataException ex)
        {
            throw new TrainingFailure(ex.Message);
        }
    }

    /// <summary>
    /// The rest of one epoch's optimizer steps (a resumed run continues mid-epoch: the epoch's order is fixed by
    /// (seed, epoch), so what was done is skipped). Cancelled when asked to stop, with the state saved.
    /// </summary>
    private TrainingOutcome? TrainEpoch(TrainingSession run, int epoch)
    {
        var done = (int)(run.Step - ((long)epoch * run.StepsPerEpoch));
        var updateFreq = config.Optim.UpdateFreq;
        foreach (var microBatches in run.Loader.Epoch(epoch, skipBatches: done * updateFreq).Chunk(updateFreq).Take(run.StepsPerEpoch - done))
        {
            run.Window.BatchArrived();
            try
            {
                var (losses, lr) = TrainStep(run, microBatches, epoch);
                Log(run, losses, lr);
            }
            finally
            {
                foreach (var batch in microBatches)
                {
                    batch.Dispose();
                }
            }

            PauseIfAsked(run);
            if (cancelRequested())
            {
                SaveState(run);
                Emit(run, TrainerEvent.Cancelled, message: "Cancelled on request.");
                return TrainingOutcome.Cancelled;
            }

            run.Window.BatchRequested();
        }

        return null;
    }

    /// <summary>One optimizer step at the scheduled learning rate and EMA momentum; a loss that is not finite fails the run.</summary>
    private (Dictionary<string, float> Losses, double LearningRate) TrainStep(TrainingSession run, TrainingBatch[] microBatches, int epoch)
    {
        var lr = run.Schedule.At(run.Step);
        foreach (var group in run.Optimizer.ParamGroups)
        {
            group.LearningRate = lr;
        }

        var momentum = MomentumMethod.MomentumAt(config.Ssl.Momentum, run.Step, run.TotalSteps);
        // A batch left with fewer than two usable samples (the rest undecodable) is passed over; the step still counts.
        var losses = microBatches.All(b => b.Size >= 2)
            ? Step(run.Model, run.Optimizer, microBatches, config, injectNan: faults.NanAtStep == run.Step, run.Mixed, momentum)
            : new Dictionary<string, float> { [MetricNames.Loss] = 0f };
        var loss = losses[MetricNames.Loss];
        if (!float.IsFinite(loss))
        {
            throw new TrainingFailure(Event(run, TrainerEvent.Failed,
                message: $"The loss became {loss} at step {run.Step} (epoch {epoch + 1}); training stopped. Try a lower learning rate."));
        }

        run.Step++;
        return (losses, lr);
    }

    /// <summary>A metrics line every LogEvery steps and at the end of each epoch; a progress event otherwise.</summary>
    private void Log(TrainingSession run, Dictionary<string, float> losses, double lr)
    {
        run.Window.Add(losses);
        if (run.Step % config.LogEvery != 0 && run.Step % run.StepsPerEpoch != 0)
        {
            Emit(run, TrainerEvent.Progress);
            return;
        }

        var values = run.Window.Flush(config.Optim.BatchSize * config.Optim.UpdateFreq);
        values[MetricNames.LearningRate] = lr;
        foreach (var (name, value) in run.System.Sample())
        {
            values[name] = value;
        }

        if (run.Loader.Skipped > 0)
        {
            values[MetricNames.DataSkipped] = run.Loader.Skipped;
        }

        if (run.Model.LogitScale is { } logScale)
        {
            values[MetricNames.LogitScale] = Math.Exp(logScale.item<float>());
        }

        Emit(run, TrainerEvent.Metrics, values: values);
    }

    /// <summary>The pause fault: a run started from step 0 waits after the step, as a long step would, until cancelled or killed.</summary>
    private void PauseIfAsked(TrainingSession run)
    {
        while (faults.PauseAfterStep == run.Step && run.StartStep == 0 && !cancelRequested())
        {
            Thread.Sleep(50);
        }
    }

    /// <summary>The epoch's checkpoint and the state to resume from; a write that fails fails the run and leaves earlier checkpoints intact.</summary>
    private void SaveCheckpoint(TrainingSession run, int epoch)
    {
        CheckpointFile file;
        try
        {
            run.Mixed?.CopyBuffersToMaster();
            file = Checkpoints.Save(run.Model, Path.Combine(output, $"epoch_{epoch + 1:D3}.pt"));
            ResumeState.Save(output, config, run.Model, run.Optimizer, run.Step);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Checkpoints are written to a temporary file and renamed, so the earlier ones are untouched.
            throw new TrainingFailure(Event(run, TrainerEvent.Failed, epoch: epoch + 1,
                message: $"Could not write the epoch {epoch + 1} checkpoint in '{output}' (is the disk full or the folder not writable?): {ex.Message} Earlier checkpoints are intact."));
        }

        emit(Event(run, TrainerEvent.Checkpoint, epoch: epoch + 1) with { Path = file.Path, Bytes = file.Bytes, Sha256 = file.Sha256 });
    }

    /// <summary>Zero-shot classification on the held-out split every eval.zeroShotEvery epochs, for models with a text tower.</summary>
    private void EvaluateZeroShot(TrainingSession run, int epoch)
    {
        if (config.Eval.ZeroShotEvery > 0 && (epoch + 1) % config.Eval.ZeroShotEvery == 0 && run.Model.HasText && HeldOut(run) is { } heldOut)
        {
            run.Model.eval();
            var scores = ZeroShot.Evaluate(run.Model, heldOut, run.Tokenizer, config.Text.ContextLength).ToDictionary(kv => MetricNames.ZeroShotPrefix + kv.Key, kv => kv.Value);
            if (config.Eval.Validate)
            {
                foreach (var (name, value) in ZeroShot.Evaluate(run.Model, Validation(run), run.Tokenizer, config.Text.ContextLength))
                {
                    scores[MetricNames.ValidationPrefix + MetricNames.ZeroShotPrefix + name] = value;
                }
            }

            run.Model.train();
            Emit(run, TrainerEvent.Metrics, epoch: epoch + 1, values: scores);
        }

        run.Window.BatchRequested();
    }

    /// <summary>A linear probe on frozen CLS features at the end of training (eval.probeAtEnd).</summary>
    private void ProbeAtEnd(TrainingSession run)
    {
        // The probe trains on the run's own data, so it needs that data's classes (a built-in dataset, Fashion-MNIST or an image folder).
        var classified = config.Data.Source is null || config.Data.Source.Format is DatasetFormats.FashionMnist or DatasetFormats.ImageFolder;
        if (config.Eval.ProbeAtEnd && classified && HeldOut(run) is { } test)
        {
            run.Model.eval();
            var train = EvalSet.Load(config.Data.Dataset, config.Data.Source, train: true, config.Vision.ImageSize, 5 * config.Eval.Samples, roots);
            // A monitor of the run, not its reported result: Slip's fast probe on cached features (eval requests default to the reference's).
            // It tests once, after its last epoch (no selection on the test split), and logs only that epoch's numbers;
            // with eval.validate it is also tested on the validation split (val_lp_*), which a sweep of SimCLR selects on.
            var options = new LinearProbeOptions { Protocol = ProbeProtocol.CachedFeatures, Seed = config.Seed };
            var results = LinearProbe.Evaluate(run.Model, train, config.Eval.Validate ? [test, Validation(run)] : [test], options with { EvalEvery = options.Epochs });
            var probe = new Dictionary<string, double>();
            foreach (var (result, prefix) in results.Zip(["", MetricNames.ValidationPrefix]))
            {
                foreach (var (name, value) in result.Where(kv => kv.Key is not (MetricNames.LinearProbeBestEpoch or MetricNames.LinearProbeLastAcc1)))
                {
                    probe[prefix + name] = value;
                }
            }

            Emit(run, TrainerEvent.Metrics, epoch: config.Optim.Epochs, values: probe);
        }
    }

    /// <summary>
    /// The held-out set for in-training evaluation: eval.test when given, else a built-in dataset's held-out split or
    /// Fashion-MNIST's test split; null (no evaluation) for other sources, which have no class names.
    /// </summary>
    private EvalSet? HeldOut(TrainingSession run) => config.Eval.Test is { } test
        ? run.HeldOut ??= EvalSet.Load(Path.GetFileName(test.Path.TrimEnd('/')), test, train: false, config.Vision.ImageSize, config.Eval.Samples, roots)
        : config.Data.Source is null || config.Data.Source.Format == DatasetFormats.FashionMnist
        ? run.HeldOut ??= EvalSet.Load(config.Data.Dataset, config.Data.Source, train: false, config.Vision.ImageSize, config.Eval.Samples, roots)
        : null;

    /// <summary>The validation set for eval.validate: eval.val when given (the folder is the split), else the built-in dataset's.</summary>
    private EvalSet Validation(TrainingSession run) => run.Validation ??= config.Eval.Val is { } val
        ? EvalSet.Load(Path.GetFileName(val.Path.TrimEnd('/')), val, DataSplit.Test, config.Vision.ImageSize, config.Eval.Samples, roots)
        : EvalSet.Load(config.Data.Dataset, config.Data.Source, DataSplit.Val, config.Vision.ImageSize, config.Eval.Samples, roots);

    private void SaveState(TrainingSession run)
    {
        run.Mixed?.CopyBuffersToMaster();
        ResumeState.Save(output, config, run.Model, run.Optimizer, run.Step);
    }

    private void Emit(TrainingSession run, string type, double? epoch = null, Dictionary<string, double>? values = null, string? message = null) =>
        emit(Event(run, type, epoch, values, message));

    private static TrainerEvent Event(TrainingSession run, string type, double? epoch = null, Dictionary<string, double>? values = null, string? message = null) => new()
    {
        Type = type,
        Step = run.Step,
        TotalSteps = run.TotalSteps,
        Epoch = epoch ?? ((double)run.Step / run.StepsPerEpoch),
        Values = values,
        Message = message,
    };

    /// <summary>Ends the run as failed with its event (thrown from the named steps, caught once in <see cref="Run"/>).</summary>
    private sealed class TrainingFailure(TrainerEvent e) : Exception(e.Message)
    {
        public TrainingFailure(string message) : this(new TrainerEvent { Type = TrainerEvent.Failed, Message = message })
        {
        }

        public TrainerEvent Event { get; } = e;
    }
}
