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
    public static Dictionary<string, double> Evaluate(SlipModel model, EvalSet set, ICaptionTokenizer tokenizer, int contextLength)
    {
        using var scope = NewDisposeScope();
        var classifier = Classifier(model, set.Classes, tokenizer, contextLength);               // [C, E]
        var images = Encoders.Images(model, set.Views, Encoders.ImageOutput.NormalisedEmbedding); // [N, E]
        var (top1, top5, perClass) = Metrics.Classification(images.matmul(classifier.t()), set.Labels);
        return new() { [MetricNames.Acc1] = top1, [MetricNames.Acc5] = top5, [MetricNames.MeanPerClassRecall] = perClass };
    }

    /// <summary>The [C, E] zero-shot classifier: per class, the re-normalised mean of its normalised template embeddings.</summary>
    public static Tensor Classifier(SlipModel model, Datasets.Sources.ClassCaptions classes, ICaptionTokenizer tokenizer, int contextLength)
    {
        using var _ = no_grad();
        var rows = classes.ClassNames.Select(name =>
        {
            var prompts = classes.Templates.Select(t => t.Replace("{}", name, StringComparison.Ordinal)).ToList();
            var mean = Encoders.Texts(model, tokenizer, prompts, contextLength).mean([0]);             // [E]
            return nn.functional.normalize(mean, dim: 0);
        }).ToList();
        return stack(rows, 0);
    }
}
