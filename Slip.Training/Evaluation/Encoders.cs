using Slip.Training.Datasets;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>Batched, gradient-free encoding for evaluation and export: images (eval views) and captions.</summary>
public static class Encoders
{
    /// <summary>What to take from the image tower.</summary>
    public enum ImageOutput
    {
        /// <summary>Joint-space embeddings, L2-normalised (zero-shot and retrieval).</summary>
        NormalisedEmbedding,

        /// <summary>CLS features before the projection (linear probe).</summary>
        Features,
    }

    /// <summary>Rows [N, E] (or [N, D] for features) for <paramref name="views"/>, already resized and normalised to the model's size.</summary>
    public static Tensor Images(SlipModel model, IReadOnlyList<FloatImage> views, ImageOutput output, int batch = 64)
    {
        using var _ = no_grad();
        var parts = new List<Tensor>();
        var device = Placement.DeviceOf(model);
        foreach (var chunk in views.Chunk(batch))
        {
            using var scope = NewDisposeScope();
            var size = chunk[0].Height;
            var pixels = Placement.ToDevice(chunk.SelectMany(v => v.Pixels).ToArray(), [chunk.Length, 3, size, size], device);
            var rows = output == ImageOutput.Features ? model.EncodeImageFeatures(pixels) : nn.functional.normalize(model.EncodeImage(pixels), dim: -1);
            parts.Add(rows.MoveToOuterDisposeScope());
        }

        return cat(parts, 0);
    }

    /// <summary>L2-normalised text embeddings [N, E], one per caption.</summary>
    public static Tensor Texts(SlipModel model, ICaptionTokenizer tokenizer, IReadOnlyList<string> captions, int contextLength, int batch = 64)
    {
        using var _ = no_grad();
        var parts = new List<Tensor>();
        var device = Placement.DeviceOf(model);
        foreach (var chunk in captions.Chunk(batch))
        {
            using var scope = NewDisposeScope();
            var ids = chunk.SelectMany(c => tokenizer.Tokenize(c, contextLength)).ToArray();
            parts.Add(nn.functional.normalize(model.EncodeText(Placement.ToDevice(ids, [chunk.Length, contextLength], device)), dim: -1).MoveToOuterDisposeScope());
        }

        return cat(parts, 0);
    }
}
