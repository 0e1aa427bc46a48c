using Slip.Training.Datasets;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>
/// Zero-shot classification as the reference does it (slip-reference 6.1): every class name in every template,
/// each text embedding L2-normalised, averaged per class and re-normalised; images L2-normalised; logits the dot
/// products, no logit scale.
/// </summary>
public static class ZeroShot
{
    /// <summary>top-1, top-5 and mean per-class recall; with a catalog's <paramref name="reported"/> metric also the number the paper reports.</summary>
    public static Dictionary<string, double> Evaluate(SlipModel model, EvalSet set, ICaptionTokenizer tokenizer, int contextLength, ReportedMetric? reported = null)
    {
        using var scope = NewDisposeScope();
        var classifier = Classifier(model, set.Classes, tokenizer, contextLength);               // [C, E]
        var images = Encoders.Images(model, set.Views, Encoders.ImageOutput.NormalisedEmbedding); // [N, E]
        var logits = images.matmul(classifier.t());
        var (top1, top5, perClass) = Metrics.Classification(logits, set.Labels);
        var metrics = new Dictionary<string, double> { [MetricNames.Acc1] = top1, [MetricNames.Acc5] = top5, [MetricNames.MeanPerClassRecall] = perClass };
        if (reported == ReportedMetric.RocAuc)
        {
            // Undefined when the evaluated samples hold one class only (a small --limit): left out, not NaN.
            var auc = Metrics.RocAuc(Placement.ToHost<float>(logits.select(1, 1).sub(logits.select(1, 0))), set.Labels);
            if (double.IsNaN(auc))
            {
                return metrics;
            }

            metrics[MetricNames.RocAuc] = auc;
        }

        if (reported is { } metric)
        {
            metrics[MetricNames.Reported] = metric switch
            {
                ReportedMetric.MeanPerClass => perClass,
                ReportedMetric.MeanOfTop1AndTop5 => (top1 + top5) / 2,
                ReportedMetric.RocAuc => metrics[MetricNames.RocAuc],
                _ => top1,
            };
        }

        return metrics;
    }

    /// <summary>The [C, E] zero-shot classifier: per class, the re-normalised mean of its normalised template embeddings.</summary>
    public static Tensor Classifier(SlipModel model, Datasets.Sources.ClassCaptions classes, ICaptionTokenizer tokenizer, int contextLength)
    {
        using var _ = no_grad();
        var rows = Enumerable.Range(0, classes.ClassNames.Count).Select(label =>
        {
            var prompts = classes.Prompts(label).ToList();
            var mean = Encoders.Texts(model, tokenizer, prompts, contextLength).mean([0]);             // [E]
            return nn.functional.normalize(mean, dim: 0);
        }).ToList();
        return stack(rows, 0);
    }
}
