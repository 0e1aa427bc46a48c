using Slip.Training.Datasets;
using Slip.Training.Objectives;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>
/// Works out which model a state dict belongs to (CLIP, SimCLR or SLIP, and its shape) from its keys and tensor shapes,
/// so checkpoints from the reference load without being told what they are.
/// </summary>
public static class ModelInference
{
    /// <summary>Heads per vision width in the reference's towers; the head count leaves no trace in the shapes (ViT-S uses 12).</summary>
    private static readonly Dictionary<long, int> KnownVisionHeads = new() { [192] = 3, [384] = 12, [768] = 12, [1024] = 16 };

    private static readonly Dictionary<(long Width, int Depth), string> KnownTowers = new()
    {
        [(192, 12)] = "ViT-Ti/16",
        [(384, 12)] = "ViT-S/16",
        [(768, 12)] = "ViT-B/16",
        [(1024, 24)] = "ViT-L/16",
    };

    /// <summary>The run config (objective and every shape field) that builds a model these weights fit.</summary>
    public static RunConfig InferConfig(IReadOnlyDictionary<string, Tensor> state)
    {
        long[] Shape(string key) => state.TryGetValue(key, out var t)
            ? t.shape
            : throw new InvalidDataException($"The weights have no '{key}': they are not a SLIP, CLIP or SimCLR model (found {Few(state.Keys)}).");
        int Count(string prefix) => state.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..].Split('.')[0]).Distinct().Count(i => int.TryParse(i, out _));

        var patch = Shape("visual.patch_embed.proj.weight");                  // [D, 3, P, P]
        var width = patch[0];
        var patchSize = (int)patch[2];
        var tokens = Shape("visual.pos_embed")[1];                              // [1, T+1, D]
        var imageSize = (int)Math.Round(Math.Sqrt(tokens - 1)) * patchSize;
        var depth = Count("visual.blocks.");
        var hasText = state.ContainsKey("token_embedding.weight");
        var sslMethod = SslMethods.All.FirstOrDefault(m => m.Matches(state));
        var objective = ObjectiveRegistry.All.FirstOrDefault(o => o.HasText == hasText && o.HasSsl == sslMethod is not null)?.Objective
            ?? throw new InvalidDataException("The weights hold a vision tower but neither a text tower nor an SSL branch.");
        var config = new RunConfig
        {
            Objective = objective,
            Model = KnownTowers.GetValueOrDefault((width, depth), "custom"),
            Vision = new VisionConfig
            {
                ImageSize = imageSize,
                PatchSize = patchSize,
                Width = (int)width,
                Depth = depth,
                Heads = KnownVisionHeads.GetValueOrDefault(width, (int)Math.Max(1, width / 64)),
            },
        };
        if (hasText)
        {
            var embedding = Shape("token_embedding.weight");                    // [V, W]
            config = config with
            {
                Text = new TextConfig
                {
                    VocabSize = (int)embedding[0],
                    Width = (int)embedding[1],
                    Layers = Count("transformer.resblocks."),
                    Heads = (int)Math.Max(1, embedding[1] / 64),
                    ContextLength = (int)Shape("positional_embedding")[0],
                    EmbedDim = (int)Shape("image_projection")[1],
                    Tokenizer = embedding[0] == ClipBpeTokenizer.VocabSize ? Tokenizer.ClipBpe : Tokenizer.Byte,
                },
            };
        }

        return sslMethod is null ? config : config with { Ssl = sslMethod.Infer(config.Ssl, Shape) };
    }

    private static string Few(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        return string.Join(", ", list.Take(5)) + (list.Count > 5 ? $" and {list.Count - 5} more" : "");
    }
}
