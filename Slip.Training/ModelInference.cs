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
    /// <summary>The reference's towers (the ViT-* presets) by vision (width, depth): their name and head counts.</summary>
    private static readonly Dictionary<(int Width, int Depth), RunConfig> ReferenceTowers = ModelPresets.Names
        .Where(n => n.StartsWith("ViT-", StringComparison.Ordinal))
        .Select(n => new RunConfig().WithModelPreset(n))
        .ToDictionary(c => (c.Vision.Width, c.Vision.Depth));

    /// <summary>The reference's text tower (every ViT-* preset shares it): 512 wide, 12 layers, 8 heads.</summary>
    private static readonly TextConfig ReferenceText = ReferenceTowers.Values.First().Text;

    /// <summary>
    /// The config for a checkpoint, its head counts looked for in order: <paramref name="given"/>, the run's
    /// <paramref name="besideConfig"/>, the release's <c>args.model</c> when its shapes agree, the reference's towers,
    /// and only then width / 64 (<see cref="ResolvedHeads.Warning"/> says so).
    /// </summary>
    public static ResolvedHeads Resolve(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, object?> args, RunConfig? besideConfig, HeadCounts given)
    {
        ResolvedHeads resolved;
        if (besideConfig is not null)
        {
            resolved = new ResolvedHeads(besideConfig, HeadSource.ConfigJson, HeadSource.ConfigJson);
        }
        else
        {
            var inferred = Shapes(state);
            var named = ReleaseTower(args);
            var vision = named is not null && (named.Vision.Width, named.Vision.Depth) == (inferred.Vision.Width, inferred.Vision.Depth) ? (named.Vision.Heads, HeadSource.ReleaseArgs)
                : ReferenceTowers.TryGetValue((inferred.Vision.Width, inferred.Vision.Depth), out var tower) ? (tower.Vision.Heads, HeadSource.ReferenceTable)
                : (Guess(inferred.Vision.Width), HeadSource.Guessed);
            var text = (inferred.Text.Width, inferred.Text.Layers) == (ReferenceText.Width, ReferenceText.Layers)
                ? (ReferenceText.Heads, named is not null && vision.Item2 == HeadSource.ReleaseArgs ? HeadSource.ReleaseArgs : HeadSource.ReferenceTable)
                : (Guess(inferred.Text.Width), HeadSource.Guessed);
            resolved = new ResolvedHeads(
                inferred with { Vision = inferred.Vision with { Heads = vision.Item1 }, Text = inferred.Text with { Heads = text.Item1 } },
                vision.Item2,
                text.Item2);
        }

        var config = resolved.Config;
        if (given.Vision is { } v)
        {
            resolved = resolved with { Config = config = config with { Vision = config.Vision with { Heads = v } }, Vision = HeadSource.Given };
        }

        if (given.Text is { } t)
        {
            resolved = resolved with { Config = config with { Text = config.Text with { Heads = t } }, Text = HeadSource.Given };
        }

        return resolved;
    }

    /// <summary>The reference tower a release's <c>args.model</c> names (SLIP_VITS16, CLIP_VITB16, SIMCLR_VITL16, ...), or null.</summary>
    private static RunConfig? ReleaseTower(IReadOnlyDictionary<string, object?> args)
    {
        var model = args.GetValueOrDefault("model") as string ?? "";
        var at = model.LastIndexOf("_VIT", StringComparison.OrdinalIgnoreCase);
        var tower = at < 0 ? "" : model[(at + 4)..].ToUpperInvariant();           // "S16", "B16", "T16", "L16"
        var preset = tower.Length < 2 ? "" : $"ViT-{(tower[0] == 'T' ? "Ti" : tower[..1])}/{tower[1..]}";
        return ModelPresets.Names.Contains(preset) ? new RunConfig().WithModelPreset(preset) : null;
    }

    /// <summary>Width / 64 heads of 64 dimensions where that divides the width, else the largest count below it that does.</summary>
    private static int Guess(int width) => Enumerable.Range(1, Math.Max(1, width / 64)).Reverse().First(h => width % h == 0);

    /// <summary>The run config (objective and every shape field) that builds a model these weights fit.</summary>
    public static RunConfig InferConfig(IReadOnlyDictionary<string, Tensor> state) => Resolve(state, new Dictionary<string, object?>(), null, HeadCounts.None).Config;

    /// <summary>The objective and every shape the weights show; head counts, which they do not show, are left to <see cref="Resolve"/>.</summary>
    private static RunConfig Shapes(IReadOnlyDictionary<string, Tensor> state)
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
            Model = ReferenceTowers.TryGetValue(((int)width, depth), out var tower) ? tower.Model : "custom",
            Vision = new VisionConfig
            {
                ImageSize = imageSize,
                PatchSize = patchSize,
                Width = (int)width,
                Depth = depth,
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
                    ContextLength = (int)Shape("positional_embedding")[0],
                    EmbedDim = (int)Shape("image_projection")[1],
                    Tokenizer = embedding[0] == ClipBpeTokenizer.VocabSize ? Tokenizer.ClipBpe : Tokenizer.Byte,

                    // Weights without their run's config.json are treated as the reference's: its cut of long captions.
                    Truncation = Truncation.Reference,
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
