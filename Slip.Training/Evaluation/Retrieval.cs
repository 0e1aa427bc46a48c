using Slip.Training.Datasets;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>
/// Image-text retrieval on a held-out captioned set, in clip_benchmark's terms: text retrieval ranks the captions for
/// each image, image retrieval the images for each caption; recall@1/5/10 in %. A caption counts as correct only for
/// its own image, even where another image has the same caption (as in clip_benchmark).
/// </summary>
public static class Retrieval
{
    public static Dictionary<string, double> Evaluate(SlipModel model, EvalSet set, ICaptionTokenizer tokenizer, int contextLength)
    {
        using var scope = NewDisposeScope();
        var images = Encoders.Images(model, set.Views, Encoders.ImageOutput.NormalisedEmbedding); // [N, E]
        var texts = Encoders.Texts(model, tokenizer, set.Captions, contextLength);                // [N, E]
        var scores = images.matmul(texts.t());                                                   // [N images, N captions]
        var result = new Dictionary<string, double>();
        foreach (var k in new[] { 1, 5, 10 })
        {
            result[MetricNames.TextRetrievalRecallAt(k)] = Metrics.RecallAt(scores, (image, caption) => image == caption, k);
            result[MetricNames.ImageRetrievalRecallAt(k)] = Metrics.RecallAt(scores.t(), (caption, image) => image == caption, k);
        }

        return result;
    }
}
