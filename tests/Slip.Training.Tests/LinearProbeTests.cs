using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Training.Models;

namespace Slip.Training.Tests;

/// <summary>The two linear-probe protocols: the reference's (augmented every epoch) and Slip's cached-features probe.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class LinearProbeTests
{
    private static (SlipModel Model, EvalSet Train, EvalSet Test) Setup()
    {
        TorchSharp.torch.manual_seed(0);
        var config = TinyConfigs.Slip();
        var model = new SlipModel(config);
        model.eval();
        var train = EvalSet.Load("shapes-mini", null, train: true, config.Vision.ImageSize, 48, DataRoots.Unrestricted);
        var test = EvalSet.Load("shapes-mini", null, train: false, config.Vision.ImageSize, 32, DataRoots.Unrestricted);
        return (model, train, test);
    }

    [Fact]
    public void TheReferenceProtocolReadsEveryTrainingImageAgainEachEpochAndReportsBestAndLast()
    {
        var (model, train, test) = Setup();
        using (model)
        {
            var reads = 0;
            var counted = train with { Original = i => { Interlocked.Increment(ref reads); return train.Original!(i); } };
            var metrics = LinearProbe.Evaluate(model, counted, test, new LinearProbeOptions { Epochs = 12, EvalEvery = 5, BatchSize = 16 });

            Assert.Equal(12 * 48, reads);                                     // a fresh augmentation of each image every epoch
            Assert.Contains(metrics[MetricNames.LinearProbeBestEpoch], new double[] { 5, 10, 12 });
            Assert.True(metrics[MetricNames.LinearProbeAcc1] >= metrics[MetricNames.LinearProbeLastAcc1]);
            Assert.InRange(metrics[MetricNames.LinearProbeAcc1], 0, metrics[MetricNames.LinearProbeAcc5]);

            // Augmented in parallel, yet the same numbers again: each view's randomness comes from (seed, epoch, sample).
            Assert.Equal(metrics, LinearProbe.Evaluate(model, train, test, new LinearProbeOptions { Epochs = 12, EvalEvery = 5, BatchSize = 16 }));
        }
    }

    [Fact]
    public void TheCachedFeaturesProtocolNeverReadsTheImagesAgain()
    {
        var (model, train, test) = Setup();
        using (model)
        {
            var counted = train with { Original = _ => throw new InvalidOperationException("read again") };
            var metrics = LinearProbe.Evaluate(model, counted, test, new LinearProbeOptions { Protocol = ProbeProtocol.CachedFeatures, Epochs = 20 });
            Assert.Contains(metrics[MetricNames.LinearProbeBestEpoch], new double[] { 10, 20 });
            Assert.Equal(0.1, new LinearProbeOptions { Protocol = ProbeProtocol.CachedFeatures }.EffectiveLearningRate, 10);
            Assert.Equal((1024, 0.00625), (new LinearProbeOptions().EffectiveBatchSize, new LinearProbeOptions().EffectiveLearningRate));
        }
    }

    [Fact]
    public void TheReferenceTestViewIsResize256ThenCentreCrop224()
    {
        var image = new FloatImage(300, 400);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (i % 251) / 255f;
        }

        // Resize(256) gives 256 x 341 (Pillow's resize, checked against torchvision in EmbedParityTests); the 224 crop
        // starts at row round(32 / 2) = 16 and column round(117 / 2) = round(58.5) = 58 (half to even).
        Assert.Equal(Augmentations.ResizedShape(300, 400, 256), (256, 341));
        var full = PilResample.ResizedCropExact(image, 0, 0, 300, 400, 256, 341);
        var view = LinearProbe.ReferenceTestView(image, 224);
        Assert.Equal((224, 224), (view.Height, view.Width));
        for (var c = 0; c < 3; c++)
        {
            foreach (var (y, x) in new[] { (0, 0), (0, 223), (223, 0), (100, 150), (223, 223) })
            {
                var expected = (full.Pixels[(c * full.Plane) + ((16 + y) * 341) + 58 + x] - Augmentations.Mean[c]) / Augmentations.Std[c];
                Assert.Equal(expected, view.Pixels[(c * view.Plane) + (y * 224) + x], 5);
            }
        }
    }

    [Fact]
    public void ALimitedFolderSpansEveryClassAndReadsBackTheSamplesItKept()
    {
        var root = Slip.Tests.DatasetFiles.ImageFolder(Slip.Tests.DatasetFiles.TempFolder("spread"), ["a", "b", "c"], 4);
        var set = EvalSet.Load("spread", new DatasetSource { Format = DatasetFormats.ImageFolder, Path = root }, train: false, imageSize: 16, limit: 6, DataRoots.Unrestricted);
        Assert.Equal([0, 0, 1, 1, 2, 2], set.Labels);                                 // every other image, not the first 6 (two classes)
        for (var i = 0; i < set.Labels.Length; i++)
        {
            Assert.Equal(set.Views[i].Pixels, Augmentations.EvalView(set.Original!(i), 16).Pixels);
        }

        Directory.Delete(root, recursive: true);
    }
}
