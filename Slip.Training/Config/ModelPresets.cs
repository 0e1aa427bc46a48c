namespace Slip.Training;

/// <summary>
/// The model shapes a user can pick by name: Micro (a smoke test that trains in seconds), Tiny and Small for CPUs, and
/// the reference's towers (ViT-Ti/S/B/L with CLIP's 12-layer, 512-wide text transformer).
/// </summary>
public static class ModelPresets
{
    public static IReadOnlyList<string> Names { get; } = ["Micro", "Tiny", "Small", "ViT-Ti/16", "ViT-S/16", "ViT-B/16", "ViT-L/16"];

    /// <summary>Returns <paramref name="config"/> with the model shape replaced by the named preset's.</summary>
    public static RunConfig Apply(RunConfig config, string preset) => preset switch
    {
        // CPU presets: one width for both towers; like every preset, CLIP's tokenizer at context 77.
        "Micro" => Cpu(config, preset, image: 16, patch: 4, width: 32, depth: 2, heads: 2, textLayers: 2, embed: 32, mlp: 64, sslEmbed: 16),
        "Tiny" => Cpu(config, preset, image: 32, patch: 4, width: 128, depth: 4, heads: 4, textLayers: 4, embed: 128, mlp: 512, sslEmbed: 64),
        "Small" => Cpu(config, preset, image: 64, patch: 8, width: 192, depth: 6, heads: 3, textLayers: 4, embed: 256, mlp: 1024, sslEmbed: 128),
        "ViT-Ti/16" => Reference(config, preset, width: 192, depth: 12, heads: 3),
        "ViT-S/16" => Reference(config, preset, width: 384, depth: 12, heads: 12),
        "ViT-B/16" => Reference(config, preset, width: 768, depth: 12, heads: 12),
        "ViT-L/16" => Reference(config, preset, width: 1024, depth: 24, heads: 16),
        _ => throw new ArgumentException($"Unknown model preset '{preset}'. Known presets: {string.Join(", ", Names)}.", nameof(preset)),
    };

    private static RunConfig Cpu(RunConfig c, string preset, int image, int patch, int width, int depth, int heads, int textLayers, int embed, int mlp, int sslEmbed) => c with
    {
        Model = preset,
        Vision = c.Vision with { ImageSize = image, PatchSize = patch, Width = width, Depth = depth, Heads = heads },
        Text = c.Text with { Width = width, Layers = textLayers, Heads = heads, EmbedDim = embed },
        Ssl = c.Ssl with { MlpDim = mlp, EmbedDim = sslEmbed },
    };

    private static RunConfig Reference(RunConfig c, string preset, int width, int depth, int heads) => c with
    {
        Model = preset,
        Vision = c.Vision with { ImageSize = 224, PatchSize = 16, Width = width, Depth = depth, Heads = heads },
        Text = c.Text with { Width = 512, Layers = 12, Heads = 8, EmbedDim = 512 },
        Ssl = c.Ssl with { MlpDim = 4096, EmbedDim = 256 },
    };
}

public sealed partial record RunConfig
{
    /// <summary>Returns this config with the model shape replaced by the named preset's.</summary>
    public RunConfig WithModelPreset(string preset) => ModelPresets.Apply(this, preset);
}
