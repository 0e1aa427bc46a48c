using System.Text.Json;
using Slip.Training.Cli;
using Slip.Training.Datasets;
using Slip.Training.Evaluation;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>Zero-shot, linear probe and retrieval: their metrics on known inputs, and the eval verb end to end.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class EvaluationTests
{
    [Fact]
    public void ClassificationMetricsCountTopOneTopFiveAndPerClassRecall()
    {
        // Six samples of three classes; the scores put the right class first for 4 of them, nowhere near for none.
        using var logits = tensor(new float[]
        {
            9, 1, 0,   9, 0, 1,   0, 9, 1,   9, 1, 0,   0, 1, 9,   1, 9, 0,
        }, [6, 3]);
        var (top1, top5, perClass) = Metrics.Classification(logits, [0, 0, 1, 1, 2, 2]);
        Assert.Equal(100.0 * 4 / 6, top1, 3);   // wrong: sample 3 (says 0, is 1) and sample 5 (says 1, is 2)
        Assert.Equal(100, top5, 3);             // three classes: the top five hold them all
        Assert.Equal(100.0 * (1 + 0.5 + 0.5) / 3, perClass, 3);
    }

    [Fact]
    public void RecallAtKFindsTheMatchAmongTheKBest()
    {
        using var scores = tensor(new float[] { 0.9f, 0.1f, 0.5f, 0.2f, 0.8f, 0.9f, 0.3f, 0.4f, 0.1f }, [3, 3]);
        Assert.Equal(100.0 / 3, Metrics.RecallAt(scores, (q, i) => q == i, 1), 3);     // only query 0 ranks itself first
        Assert.Equal(200.0 / 3, Metrics.RecallAt(scores, (q, i) => q == i, 2), 3);
        Assert.Equal(100, Metrics.RecallAt(scores, (q, i) => q == i, 10), 3);
    }

    [Fact]
    public void ZeroShotClassifierRowsAreTheRenormalisedMeanOfNormalisedTemplateEmbeddings()
    {
        manual_seed(11);
        var config = TinyConfigs.Slip();
        using var model = new SlipModel(config);
        model.eval();
        var classes = new Datasets.Sources.ClassCaptions(["red circle", "blue star"], ["a {}.", "a photo of a {}."]);
        using var classifier = ZeroShot.Classifier(model, classes, ByteTokenizer.Instance, config.Text.ContextLength);
        using var blue = Encoders.Texts(model, ByteTokenizer.Instance, ["a blue star.", "a photo of a blue star."], config.Text.ContextLength);
        using var expected = nn.functional.normalize(blue.mean([0]), dim: 0);
        Assert.True(classifier[1].allclose(expected, atol: 1e-6));
        Assert.True(classifier.norm(1).allclose(ones(2), atol: 1e-5));
    }

    [Fact]
    public void EvalVerbWritesClipBenchmarkShapedResultsForATrainedCheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("slip-eval-").FullName;
        var config = TinyConfigs.Slip(batch: 32);
        Assert.Equal(TrainingOutcome.Completed, new Trainer(config, dir, _ => { }, () => false).Run());
        var output = Path.Combine(dir, "results.json");
        var code = SlipCli.Run(["eval", "--checkpoint", Path.Combine(dir, "epoch_001.pt"), "--dataset", "shapes-mini", "--probe-epochs", "5", "--out", output]);
        Assert.Equal(ExitCodes.Completed, code);

        var results = JsonDocument.Parse(File.ReadAllText(output)).RootElement.EnumerateArray().ToList();
        Assert.Equal(new EvalRequest().Tasks, results.Select(r => r.GetProperty("task").GetString()));
        Assert.All(results, r => Assert.Equal("shapes-mini", r.GetProperty("dataset").GetString()));
        double Metric(int i, string name) => results[i].GetProperty("metrics").GetProperty(name).GetDouble();
        Assert.InRange(Metric(0, "acc1"), 0, 100);
        Assert.True(Metric(0, "acc5") >= Metric(0, "acc1"));
        Assert.True(Metric(1, "lp_acc5") >= Metric(1, "lp_acc1"));
        Assert.Equal("reference", results[1].GetProperty("protocol").GetString());   // the linear probe names its protocol
        Assert.True(Metric(1, "lp_acc1") >= Metric(1, "lp_last_acc1"));
        Assert.True(Metric(2, "text_retrieval_recall@10") >= Metric(2, "text_retrieval_recall@1"));

        Assert.Equal(ExitCodes.Usage, SlipCli.Run(["eval", "--checkpoint", Path.Combine(dir, "missing.pt")]));
        Assert.Equal(ExitCodes.Usage, SlipCli.Run(["eval", "--checkpoint", Path.Combine(dir, "epoch_001.pt"), "--tasks", "nonsense"]));
        Directory.Delete(dir, recursive: true);
    }
}
