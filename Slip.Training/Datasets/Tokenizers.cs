namespace Slip.Training.Datasets;

/// <summary>Turns a caption into a fixed-length row of token ids: [SOT] + ids + [EOT], zero-padded.</summary>
public interface ICaptionTokenizer
{
    long[] Tokenize(string text, int contextLength);
}

/// <summary>Builds the tokenizer a run config names (<see cref="Tokenizer"/>).</summary>
public static class Tokenizers
{
    /// <summary>The config's tokenizer. CLIP's BPE uses the vocabulary that ships inside Slip, or <paramref name="bpeVocabularyPath"/> when one is given.</summary>
    public static ICaptionTokenizer Create(RunConfig config, string? bpeVocabularyPath) => config.Text.Tokenizer switch
    {
        Tokenizer.Byte => new ByteTokenizer { Truncation = config.Text.Truncation },
        Tokenizer.ClipBpe when string.IsNullOrWhiteSpace(bpeVocabularyPath) => ClipBpeTokenizer.BuiltIn.WithTruncation(config.Text.Truncation),
        Tokenizer.ClipBpe => ClipBpeTokenizer.Load(bpeVocabularyPath).WithTruncation(config.Text.Truncation),
        _ => throw new InvalidOperationException($"Unknown tokenizer '{config.Text.Tokenizer}'. Known: {string.Join(", ", EnumNames.All<Tokenizer>())}."),
    };
}
