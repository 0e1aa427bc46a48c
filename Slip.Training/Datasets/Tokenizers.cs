namespace Slip.Training.Datasets;

/// <summary>Turns a caption into a fixed-length row of token ids: [SOT] + ids + [EOT], zero-padded.</summary>
public interface ICaptionTokenizer
{
    long[] Tokenize(string text, int contextLength);
}

/// <summary>Builds the tokenizer a run config names (<see cref="Tokenizer"/>).</summary>
public static class Tokenizers
{
    /// <summary>The config's tokenizer. CLIP's BPE needs <paramref name="bpeVocabularyPath"/>; without it this says how to configure one.</summary>
    public static ICaptionTokenizer Create(RunConfig config, string? bpeVocabularyPath) => config.Text.Tokenizer switch
    {
        Tokenizer.Byte => ByteTokenizer.Instance,
        Tokenizer.ClipBpe when string.IsNullOrWhiteSpace(bpeVocabularyPath) => throw new InvalidOperationException(
            "This run uses CLIP's BPE tokenizer but no vocabulary file is configured: pass --bpe-vocab <bpe_simple_vocab_16e6.txt.gz> "
            + "(or set SLIP_BPE_VOCAB; in the dashboard, Slip:BpeVocabularyPath), or use the built-in \"byte\" tokenizer."),
        Tokenizer.ClipBpe => ClipBpeTokenizer.Load(bpeVocabularyPath!),
        _ => throw new InvalidOperationException($"Unknown tokenizer '{config.Text.Tokenizer}'. Known: {string.Join(", ", EnumNames.All<Tokenizer>())}."),
    };
}
