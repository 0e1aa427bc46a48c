using Slip.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>
/// Device placement without a GPU. Each test runs the code with libtorch's default device set to <c>meta</c> while the
/// model and its data are on the CPU: a tensor made without naming its device lands on meta, and the first operation
/// that mixes it with the model's tensors fails, as it would on a user's GPU (where the default stays the CPU and the
/// model does not). The meta device cannot run the model itself here (libtorch's CPU build has no meta kernels for
/// convolution or layer norm), so this is the stand-in: it catches the tensor made in the wrong place.
/// </summary>
[Collection(GlobalTorchState.Name)]
public sealed class DevicePlacementTests
{
    public static TheoryData<string> Runs => ["clip", "simclr", "slip", "slip-mocov3", "slip-byol", "slip-mim", "slip-bf16", "simclr-accumulated"];

    [Theory]
    [MemberData(nameof(Runs))]
    public void TrainingEvaluatingAndResumingMakeNoTensorOnTheDefaultDevice(string name)
    {
        var config = Config(name);
        var dir = Directory.CreateTempSubdirectory("slip-placement-").FullName;
        try
        {
            // Stopped after its first step (state saved), then resumed to the end: building, stepping, saving,
            // loading, zero-shot and the end-of-run probe all run with the default device on meta.
            var events = new List<TrainerEvent>();
            var steps = 0;
            Assert.Equal(TrainingOutcome.Cancelled, OnMetaDefault(() =>
                new Trainer(config, dir, e => { events.Add(e); steps += e.Type == TrainerEvent.Progress || e.Type == TrainerEvent.Metrics ? 1 : 0; }, () => steps >= 1).Run()));
            Assert.Equal(TrainingOutcome.Completed, OnMetaDefault(() => new Trainer(config, dir, events.Add, () => false, resume: true).Run()));
            Assert.DoesNotContain(events, e => e.Type == TrainerEvent.Failed);
            Assert.Contains(events, e => e.Type == TrainerEvent.Checkpoint);
            if (config.Spec.HasText)
            {
                Assert.Contains(events, e => e.Values?.ContainsKey(MetricNames.ZeroShotPrefix + MetricNames.Acc1) == true);
            }

            Assert.Contains(events, e => e.Values?.ContainsKey(MetricNames.LinearProbeAcc1) == true);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EveryEvaluationMakesNoTensorOnTheDefaultDevice()
    {
        var config = Config("slip");
        manual_seed(1);
        using var model = new SlipModel(config);
        model.eval();
        var results = EvaluatedRuns.EveryEvaluation(model, config, OnMetaDefault);
        Assert.All(results, r => Assert.All(r.Values, v => Assert.False(double.IsNaN(v))));
        Assert.Contains(MetricNames.FineTuneAcc1, results[3].Keys);
        Assert.Contains(MetricNames.TextRetrievalRecallAt(1), results[4].Keys);
    }

    [Fact]
    public void TheMetaDefaultCatchesATensorMadeWithoutItsDevice()
    {
        // The harness itself: what it exists to catch does fail under it, and the same code passes on the CPU default.
        using var model = new SlipModel(Config("slip"));
        var features = model.EncodeImageFeatures(zeros(2, 3, 16, 16, device: CPU));
        var forgotten = () => (features + ones(features.shape)).sum().item<float>();
        Assert.ThrowsAny<Exception>(() => OnMetaDefault(forgotten));
        Assert.True(float.IsFinite(forgotten()));
    }

    [Fact]
    public void ADeviceNameIsCheckedAgainstWhatLibtorchHas()
    {
        Assert.Equal(DeviceType.CPU, Placement.Parse(" CPU ").type);
        Assert.Contains("cpu, cuda or cuda:N", Assert.Throws<ArgumentException>(() => Placement.Parse("gpu0")).Message, StringComparison.Ordinal);
        Assert.Contains("cpu, cuda or cuda:N", Assert.Throws<ArgumentException>(() => Placement.Parse("cuda:x")).Message, StringComparison.Ordinal);
        if (!cuda.is_available())
        {
            Assert.Contains("sees no CUDA device", Assert.Throws<ArgumentException>(() => Placement.Parse("cuda:1")).Message, StringComparison.Ordinal);
        }

        Assert.Equal("cpu", Placement.Name(CPU));
        Assert.Equal("cuda:1", Placement.Name(new Device(DeviceType.CUDA, 1)));
    }

    private static RunConfig Config(string name) => EvaluatedRuns.Config(name);

    private static T OnMetaDefault<T>(Func<T> work)
    {
        using var meta = Placement.MakingOn(device("meta"));
        return work();
    }
}
