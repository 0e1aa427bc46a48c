using Slip.Tests;
using Slip.Training.Datasets;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

[Collection(GlobalTorchState.Name)]
public class TrainerTests
{
    [Fact]
    public void TinySlipModelOverfitsOneBatch()
    {
        manual_seed(0);
        var config = TinyConfigs.Slip(batch: 8);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, 24, seed: 2), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var model = new SlipModel(config);
        using var optimizer = optim.AdamW(model.parameters(), lr: 2e-3);
        float first = 0, last = 0;
        for (var step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var outputs = model.call(batch.ToInputs());
            var loss = model.Spec.Losses(model, outputs, config)["loss"];
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        Assert.True(last < first * 0.3, $"loss went from {first} to {last}");
    }

    [Fact]
    public void TrainerWritesMetricsAndAnEpochCheckpointWhoseHashMatches()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip(batch: 32, epochs: 2) with { LogEvery = 4 };
        var outcome = new Trainer(config, dir, events.Add, () => false).Run();

        Assert.Equal(TrainingOutcome.Completed, outcome);
        var metrics = events.Where(IsTrainingMetrics).ToList();
        Assert.Equal([4L, 8, 12, 16], metrics.Select(m => m.Step)); // 256 samples / 32 = 8 steps per epoch
        Assert.All(metrics, m => Assert.Superset(new HashSet<string> { "loss", "clip_loss", "ssl_loss", "clip_acc", "ssl_acc", "lr", "logit_scale" }, m.Values!.Keys.ToHashSet()));
        // The system readings: throughput, this process's CPU and memory; no GPU keys on a CPU.
        Assert.All(metrics, m => Assert.InRange(m.Values!["images_per_s"], 1, 1e6));
        Assert.All(metrics, m => Assert.InRange(m.Values!["rss_mb"], 50, 64_000));
        Assert.Contains(metrics, m => m.Values!["cpu_pct"] > 10);
        Assert.All(metrics, m => Assert.DoesNotContain("gpu_util_pct", m.Values!.Keys));
        var checkpoints = events.Where(e => e.Type == TrainerEvent.Checkpoint).ToList();
        Assert.Equal(2, checkpoints.Count);
        Assert.All(checkpoints, c => Assert.Equal(Checkpoints.Sha256Of(c.Path!), c.Sha256));
        Assert.Equal(TrainerEvent.Completed, events[^1].Type);

        using var reloaded = new SlipModel(config);
        Checkpoints.Load(reloaded, checkpoints[^1].Path!);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void WithEvalValidateZeroShotIsAlsoLoggedOnTheValidationSplit()
    {
        var dir = Directory.CreateTempSubdirectory("slip-validate-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip(batch: 32) with { Eval = new EvalConfig { Samples = 40, Validate = true, ProbeAtEnd = false } };
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, events.Add, () => false).Run());
        var scores = Assert.Single(events, e => e.Type == TrainerEvent.Metrics && e.Values!.ContainsKey("zeroshot_acc1")).Values!;
        Assert.InRange(scores["val_zeroshot_acc1"], 0, scores["val_zeroshot_acc5"]);
        Assert.Contains("val_zeroshot_mean_per_class_recall", scores.Keys);
        Directory.Delete(dir, recursive: true);

        var csv = config with { Data = new DataConfig { Dataset = "captions", Source = new Datasets.Sources.DatasetSource { Format = "csv", Path = "/data/c.csv" } } };
        Assert.Contains(csv.Validate(), e => e.Field == "eval.validate" && e.Message.Contains("validation split", StringComparison.Ordinal));
        Assert.Empty((csv with { Eval = csv.Eval with { Val = new Datasets.Sources.DatasetSource { Format = "imagefolder", Path = "/data/val" } } }).Validate());
        Assert.Contains((csv with { Eval = csv.Eval with { Test = new Datasets.Sources.DatasetSource { Format = "csv", Path = "/data/t.csv" } } }).Validate(), e => e.Field == "eval.test");
    }

    [Fact]
    public void CaptionDataIsEvaluatedOnTheClassificationSetsEvalTestAndEvalValName()
    {
        var dir = DatasetFiles.TempFolder("evalsets-train");
        DatasetFiles.Shard(Path.Combine(dir, "00000.tar"), DatasetFiles.Samples(0, 32));
        var test = DatasetFiles.ImageFolder(Path.Combine(dir, "test"), ["blue", "red"], 3);
        var val = DatasetFiles.ImageFolder(Path.Combine(dir, "val"), ["blue", "red"], 2);
        Datasets.Sources.DatasetSource Folder(string path) => new() { Format = "imagefolder", Path = path };
        var config = TinyConfigs.Slip(batch: 16) with
        {
            Data = new DataConfig { Dataset = "shards", Source = new Datasets.Sources.DatasetSource { Path = Path.Combine(dir, "00000.tar") }, EpochSamples = 32 },
            Eval = new EvalConfig { Validate = true, Test = Folder(test), Val = Folder(val) },
        };
        var events = new List<TrainerEvent>();
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, Path.Combine(dir, "run"), events.Add, () => false).Run());
        var scores = Assert.Single(events, e => e.Type == TrainerEvent.Metrics && e.Values!.ContainsKey("zeroshot_acc1")).Values!;
        Assert.Contains(scores["zeroshot_acc1"], new[] { 0.0, 100.0 / 6, 200.0 / 6, 50.0, 400.0 / 6, 500.0 / 6, 100.0 });   // of the 6 test images
        Assert.Contains(scores["val_zeroshot_acc1"], new[] { 0.0, 25.0, 50.0, 75.0, 100.0 });                                 // of the 4 validation images
        Assert.DoesNotContain(events, e => e.Values?.ContainsKey("lp_acc1") == true);                                        // captions have no classes to probe
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ZeroShotIsLoggedAfterEachEpochAndALinearProbeAtTheEnd()
    {
        var dir = Directory.CreateTempSubdirectory("slip-zeroshot-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip(batch: 32, epochs: 2) with { Eval = new EvalConfig { Samples = 40 } };
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, events.Add, () => false).Run());
        var zeroShot = events.Where(e => e.Type == TrainerEvent.Metrics && e.Values!.ContainsKey("zeroshot_acc1")).ToList();
        Assert.Equal([8L, 16], zeroShot.Select(e => e.Step));
        Assert.All(zeroShot, e => Assert.InRange(e.Values!["zeroshot_acc1"], 0, e.Values["zeroshot_acc5"]));
        var probe = Assert.Single(events, e => e.Values?.ContainsKey("lp_acc1") == true);
        Assert.Equal(16, probe.Step);
        Assert.InRange(probe.Values!["lp_acc1"], 0, probe.Values["lp_acc5"]);

        var off = new List<TrainerEvent>();
        new Trainer(config with { Eval = config.Eval with { ZeroShotEvery = 0, ProbeAtEnd = false }, Optim = config.Optim with { Epochs = 1 } }, dir + "-off", off.Add, () => false).Run();
        Assert.DoesNotContain(off, e => e.Values?.ContainsKey("zeroshot_acc1") == true || e.Values?.ContainsKey("lp_acc1") == true);
        Directory.Delete(dir, recursive: true);
        Directory.Delete(dir + "-off", recursive: true);
    }

    [Fact]
    public void ClipBpeRunWithAVocabularyFileThatIsGoneFailsAndSaysWhich()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip();
        Assert.Equal(TrainingOutcome.Failed, new Trainer(config, dir, events.Add, () => false, Path.Combine(dir, "gone.txt.gz")).Run());
        Assert.Contains("gone.txt.gz' does not exist", events.Single().Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ClipBpeRunTrainsOnCaptionsTokenizedWithTheBuiltInVocabulary()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip(batch: 32);
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, events.Add, () => false).Run());
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>With MoCo v3 and BYOL the losses only match if the momentum network is part of the resume state.</summary>
    [Theory]
    [InlineData(Ssl.SslMethod.SimClr)]
    [InlineData(Ssl.SslMethod.MocoV3)]
    [InlineData(Ssl.SslMethod.Byol)]
    [InlineData(Ssl.SslMethod.Mim)]
    public void ResumedRunContinuesWithTheSameLossesAsAnUninterruptedRun(Ssl.SslMethod sslMethod)
    {
        var config = TinyConfigs.Slip(batch: 32, method: sslMethod, epochs: 2) with { LogEvery = 1 };
        static Dictionary<long, double> Losses(List<TrainerEvent> events) =>
            events.Where(IsTrainingMetrics).ToDictionary(e => e.Step, e => e.Values!["loss"]);

        var whole = Directory.CreateTempSubdirectory("slip-whole-").FullName;
        var uninterrupted = new List<TrainerEvent>();
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, whole, uninterrupted.Add, () => false).Run());

        // Stop after step 5 (mid-epoch: 8 steps per epoch), then resume in the same folder.
        var split = Directory.CreateTempSubdirectory("slip-split-").FullName;
        var first = new List<TrainerEvent>();
        Assert.Equal(TrainingOutcome.Cancelled, new Trainer(config, split, first.Add, () => first.Count(IsTrainingMetrics) == 5).Run());
        var second = new List<TrainerEvent>();
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, split, second.Add, () => false, resume: true).Run());

        Assert.Equal(5, second[0].Step);
        var expected = Losses(uninterrupted);
        var resumed = Losses(second);
        Assert.Equal(Enumerable.Range(6, 11).Select(i => (long)i), resumed.Keys);
        Assert.All(resumed, kv => Assert.Equal(expected[kv.Key], kv.Value, 5));
        Directory.Delete(whole, recursive: true);
        Directory.Delete(split, recursive: true);
    }

    [Theory]
    [InlineData(false, 12)]    // crashed after resume/ was renamed away, before the new state was moved in: the new state is used
    [InlineData(true, 8)]      // crashed while the new state was still being written: the previous state is put back
    public void ACrashMidSwapLeavesTheNewStateOrThePreviousOneNeverNone(bool newStateIncomplete, long expectedStep)
    {
        var output = Directory.CreateTempSubdirectory("slip-resume-swap-").FullName;
        try
        {
            void State(string folder, long step, bool complete)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "model.pt"), "m");
                File.WriteAllText(Path.Combine(folder, "optimizer.pt"), "o");
                if (complete)
                {
                    File.WriteAllText(Path.Combine(folder, "state.json"), $$"""{"Step": {{step}}, "Config": "{}"}""");
                }
            }

            State(Path.Combine(output, "resume.old"), 8, complete: true);
            State(Path.Combine(output, "resume.tmp"), 12, complete: !newStateIncomplete);

            Assert.Equal(expectedStep, ResumeState.StepOf(output));
            Assert.Null(ResumeState.Problem(output));
            Assert.False(Directory.Exists(Path.Combine(output, "resume.old")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void ResumeStateOfAnotherConfigIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        new Trainer(TinyConfigs.Slip(batch: 32), dir, events.Add, () => false).Run();
        var other = new List<TrainerEvent>();
        Assert.Equal(TrainingOutcome.Failed, new Trainer(TinyConfigs.Slip(batch: 32) with { Seed = 9 }, dir, other.Add, () => false, resume: true).Run());
        Assert.Contains("different config", other.Single().Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void AnUnwritableCheckpointFailsTheRunWithTheReasonAndKeepsEarlierCheckpoints()
    {
        var dir = Directory.CreateTempSubdirectory("slip-diskfull-").FullName;
        // The second epoch's temporary checkpoint file cannot be created: a folder stands where it would go (a fault
        // that works even for root, who ignores permissions).
        Directory.CreateDirectory(Path.Combine(dir, "epoch_002.pt.tmp"));
        var events = new List<TrainerEvent>();
        var outcome = new Trainer(TinyConfigs.Slip(batch: 32, epochs: 3) with { Eval = new EvalConfig { ZeroShotEvery = 0, ProbeAtEnd = false } }, dir, events.Add, () => false).Run();

        Assert.Equal(TrainingOutcome.Failed, outcome);
        var failed = events.Single(e => e.Type == TrainerEvent.Failed);
        Assert.Contains("Could not write the epoch 2 checkpoint", failed.Message);
        Assert.Contains("Earlier checkpoints are intact", failed.Message);
        var first = events.Single(e => e.Type == TrainerEvent.Checkpoint);
        Assert.Equal(first.Sha256, Checkpoints.Sha256Of(Path.Combine(dir, "epoch_001.pt")));
        Assert.False(File.Exists(Path.Combine(dir, "epoch_002.pt")));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void CancelStopsAfterTheCurrentStep()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        var outcome = new Trainer(TinyConfigs.Slip(batch: 8, epochs: 3), dir, events.Add, () => events.Count >= 3).Run();
        Assert.Equal(TrainingOutcome.Cancelled, outcome);
        Assert.Equal(TrainerEvent.Cancelled, events[^1].Type);
        Assert.DoesNotContain(events, e => e.Type == TrainerEvent.Checkpoint);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void AccumulatedStepAveragesTheMicroBatchLossesAndGradients()
    {
        var config = TinyConfigs.Slip(batch: 8, updateFreq: 2);
        var loader = new BatchLoader(SyntheticShapes.Generate(16, 24, seed: 3), config);
        using var first = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var second = loader.Build([8, 9, 10, 11, 12, 13, 14, 15], epoch: 0);
        manual_seed(5);
        using var model = new SlipModel(config);
        manual_seed(5);
        using var twin = new SlipModel(config);
        using var optimizer = Trainer.CreateOptimizer(model, config);

        var values = Trainer.Step(model, optimizer, [first, second], config);

        // The twin does by hand what accumulation should: mean of the two losses, backward once.
        var l1 = twin.Spec.Losses(twin, twin.call(first.ToInputs()), config)["loss"];
        var l2 = twin.Spec.Losses(twin, twin.call(second.ToInputs()), config)["loss"];
        var mean = (l1 + l2) / 2;
        mean.backward();
        Assert.Equal(mean.item<float>(), values["loss"], 4);
        var grads = twin.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.grad!.allclose(grads[name]!, rtol: 1e-4, atol: 1e-6), name);
        }
    }

    [Fact]
    public void AccumulationDividesTheStepsPerEpoch()
    {
        var dir = Directory.CreateTempSubdirectory("slip-trainer-").FullName;
        var events = new List<TrainerEvent>();
        var config = TinyConfigs.Slip(batch: 32, updateFreq: 2);
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, events.Add, () => false).Run());
        Assert.Equal(4, events[0].TotalSteps); // 256 samples / 32 = 8 micro-batches, 2 per step
        Assert.Equal(4, events.Single(e => e.Type == TrainerEvent.Checkpoint).Step);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void GradientClippingBoundsTheNormAndReportsItBeforeClipping()
    {
        var tiny = TinyConfigs.Slip(batch: 8);
        var config = tiny with { Optim = tiny.Optim with { GradClipNorm = 1e-3 } };
        var loader = new BatchLoader(SyntheticShapes.Generate(8, 24, seed: 2), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var model = new SlipModel(config);
        using var optimizer = Trainer.CreateOptimizer(model, config);

        var values = Trainer.Step(model, optimizer, batch, config);

        Assert.True(values["grad_norm"] > 1e-3);
        var clipped = Math.Sqrt(model.parameters().Where(p => p.grad is not null).Sum(p => p.grad!.pow(2).sum().item<float>()));
        Assert.True(clipped <= 1.01e-3, $"norm after clipping {clipped}");
    }

    [Fact]
    public void AStepToldToLapItsPartsAddsEachPartOncePerStep()
    {
        var config = TinyConfigs.Slip(batch: 8);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, 24, seed: 2), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var model = new SlipModel(config);
        using var optimizer = Trainer.CreateOptimizer(model, config);
        var laps = new StepLaps();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Trainer.Step(model, optimizer, batch, config, laps: laps);
        Trainer.Step(model, optimizer, batch, config, laps: laps);
        var wall = clock.Elapsed;

        Assert.Equal(2, laps.Steps);
        Assert.All(new[] { laps.Forward, laps.Backward, laps.Update }, part => Assert.True(part > TimeSpan.Zero));
        Assert.True(laps.Forward + laps.Backward + laps.Update + laps.Collection <= wall, "the parts add up to more than the steps took");
    }

    [Fact]
    public void Bf16StepsTrackTheFp32LossAndKeepFp32MasterWeights()
    {
        var config = TinyConfigs.Slip(batch: 8);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, 24, seed: 2), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        manual_seed(11);
        using var fp32 = new SlipModel(config);
        manual_seed(11);
        using var master = new SlipModel(config with { Optim = config.Optim with { Precision = Precision.Bf16 } });
        using var mixed = new MixedPrecision(master, config);
        using var fp32Optimizer = Trainer.CreateOptimizer(fp32, config);
        using var optimizer = Trainer.CreateOptimizer(master, config);

        var reference = Trainer.Step(fp32, fp32Optimizer, batch, config);
        var first = Trainer.Step(master, optimizer, batch, config, mixed: mixed);
        Assert.Equal(reference["loss"], first["loss"], 0.05 * reference["loss"]);
        Assert.All(master.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(mixed.Compute.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));

        // The master weights moved, and the bf16 copy follows them.
        using (no_grad())
        {
            var lowWeights = mixed.Compute.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in master.named_parameters())
            {
                Assert.True(p.to(ScalarType.BFloat16).equal(lowWeights[name]).all().item<bool>(), name);
            }
        }

        // Thirty more steps each: bf16 learns as fp32 does.
        float last = 0, lastFp32 = 0;
        for (var i = 0; i < 30; i++)
        {
            last = Trainer.Step(master, optimizer, batch, config, mixed: mixed)["loss"];
            lastFp32 = Trainer.Step(fp32, fp32Optimizer, batch, config)["loss"];
        }

        Assert.True(last < first["loss"] * 0.7, $"bf16 loss went from {first["loss"]} to {last}");
        // Compared on the scale of the starting loss: near zero, a relative tolerance on the loss itself is set by
        // rounding noise (CPUs with native bf16 units round differently from emulation and ended 18 % apart at 0.28).
        Assert.True(Math.Abs(last - lastFp32) < 0.1 * first["loss"], $"after 30 steps bf16 {last}, fp32 {lastFp32}, from {first["loss"]}");
    }

    [Fact]
    public void TrainingStepsLeaveNoLiveTensorsBehind()
    {
        var config = TinyConfigs.Slip(batch: 8);
        var loader = new BatchLoader(SyntheticShapes.Generate(8, 24, seed: 2), config);
        using var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], epoch: 0);
        using var model = new SlipModel(config);
        using var optimizer = Trainer.CreateOptimizer(model, config);
        for (var i = 0; i < 3; i++)
        {
            Trainer.Step(model, optimizer, batch, config); // AdamW creates its state on the first steps
        }

        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 20; i++)
        {
            Trainer.Step(model, optimizer, batch, config);
        }

        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void EventsRoundTripAsJsonLines()
    {
        var e = new TrainerEvent { Type = TrainerEvent.Metrics, Step = 3, Values = new() { ["loss"] = 1.5 } };
        var parsed = TrainerEvent.TryParse(e.ToJsonLine());
        Assert.Equal(1.5, parsed!.Values!["loss"]);
        Assert.Null(TrainerEvent.TryParse("Warning: some native library chatter"));
    }

    /// <summary>The step metrics (losses, accuracies, lr), not the zero-shot and probe results logged at epoch ends.</summary>
    private static bool IsTrainingMetrics(TrainerEvent e) => e.Type == TrainerEvent.Metrics && e.Values!.ContainsKey("loss");
}
