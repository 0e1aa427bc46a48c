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
        var sslMethod = SslMethodOf(state);
        var hasSsl = sslMethod is not null;
        var objective = (hasText, hasSsl) switch
        {
            (true, true) => Objective.Slip,
            (true, false) => Objective.Clip,
            (false, true) => Objective.SimClr,
            _ => throw new InvalidDataException("The weights hold a vision tower but neither a text tower nor an SSL branch."),
        };

        var config = new RunConfig
        {
            Objective = objective,
            Model = KnownTowers.GetValueOrDefault((width, depth), "custom"),
            ImageSize = imageSize,
            PatchSize = patchSize,
            VisionWidth = (int)width,
            VisionDepth = depth,
            VisionHeads = KnownVisionHeads.GetValueOrDefault(width, (int)Math.Max(1, width / 64)),
        };
        if (hasText)
        {
            var embedding = Shape("token_embedding.weight");                    // [V, W]
            config = config with
            {
                VocabSize = (int)embedding[0],
                TextWidth = (int)embedding[1],
                TextLayers = Count("transformer.resblocks."),
                TextHeads = (int)Math.Max(1, embedding[1] / 64),
                ContextLength = (int)Shape("positional_embedding")[0],
                EmbedDim = (int)Shape("image_projection")[1],
                Tokenizer = embedding[0] == Datasets.ClipBpeTokenizer.VocabSize ? Datasets.Tokenizers.ClipBpe : Datasets.Tokenizers.Byte,
            };
        }

        config = sslMethod switch
        {
            Ssl.SslMethods.SimClr => config with { SslMlpDim = (int)Shape("image_mlp.layer1.weight")[0], SslEmbedDim = (int)Shape("image_mlp.layer3.weight")[0] },
            Ssl.SslMethods.MocoV3 or Ssl.SslMethods.Byol => Ssl.SslMethods.WithDefaults(config, sslMethod) with
            {
                SslMlpDim = (int)Shape("ssl_projector.0.weight")[0],
                SslEmbedDim = (int)Shape("ssl_predictor.0.weight")[1],
            },
            Ssl.SslMethods.Mim => config with { SslMethod = sslMethod },
            _ => config,
        };
        return config;
    }

    /// <summary>Which SSL branch the weights carry, by its modules' keys; null when there is none.</summary>
    private static string? SslMethodOf(IReadOnlyDictionary<string, Tensor> state) =>
        state.ContainsKey("image_mlp.layer1.weight") ? Ssl.SslMethods.SimClr
        : state.ContainsKey("mim_head.weight") ? Ssl.SslMethods.Mim
        : state.ContainsKey("ssl_projector.6.weight") ? Ssl.SslMethods.MocoV3   // MoCo v3's projector has three Linears
        : state.ContainsKey("ssl_projector.0.weight") ? Ssl.SslMethods.Byol
        : null;

    private static string Few(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        return string.Join(", ", list.Take(5)) + (list.Count > 5 ? $" and {list.Count - 5} more" : "");
    }
}
