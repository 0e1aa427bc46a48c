namespace Slip.Training.Datasets;

/// <summary>Turns a caption into a fixed-length row of token ids: [SOT] + ids + [EOT], zero-padded.</summary>
public interface ICaptionTokenizer
{
    long[] Tokenize(string text, int contextLength);
}

/// <summary>The tokenizers a run config can name.</summary>
public static class Tokenizers
{
    /// <summary>The built-in byte-level tokenizer (vocabulary 259); needs no file.</summary>
    public const string Byte = "byte";

    /// <summary>CLIP's BPE (vocabulary 49,408), read from a vocabulary file the user configures.</summary>
    public const string ClipBpe = "clip-bpe";

    public static IReadOnlyList<string> Names { get; } = [Byte, ClipBpe];

    /// <summary>The config's tokenizer. CLIP's BPE needs <paramref name="bpeVocabularyPath"/>; without it this says how to configure one.</summary>
    public static ICaptionTokenizer Create(RunConfig config, string? bpeVocabularyPath) => config.Tokenizer switch
    {
        Byte => ByteTokenizer.Instance,
        ClipBpe when string.IsNullOrWhiteSpace(bpeVocabularyPath) => throw new InvalidOperationException(
            "This run uses CLIP's BPE tokenizer but no vocabulary file is configured: pass --bpe-vocab <bpe_simple_vocab_16e6.txt.gz> "
            + "(or set SLIP_BPE_VOCAB; in the dashboard, Slip:BpeVocabularyPath), or use the built-in \"byte\" tokenizer."),
        ClipBpe => ClipBpeTokenizer.Load(bpeVocabularyPath!),
        _ => throw new InvalidOperationException($"Unknown tokenizer '{config.Tokenizer}'. Known: {string.Join(", ", Names)}."),
    };
}
