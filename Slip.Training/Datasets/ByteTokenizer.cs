using System.Text;

namespace Slip.Training.Datasets;

/// <summary>
/// The built-in tokenizer that needs no vocabulary file: UTF-8 bytes as ids 1-256, start-of-text 257 and
/// end-of-text 258 (the largest id, so EOT pooling by argmax works as with CLIP's BPE), padding 0.
/// Over-long captions are cut so the last kept token is EOT, as open_clip does.
/// </summary>
public sealed class ByteTokenizer : ICaptionTokenizer
{
    public static readonly ByteTokenizer Instance = new();

    /// <summary>What an over-long caption keeps.</summary>
    public Truncation Truncation { get; init; }

    public const int Pad = 0;
    public const int StartOfText = 257;
    public const int EndOfText = 258;
    public const int VocabSize = 259;

    public long[] Tokenize(string text, int contextLength) =>
        CaptionRows.Fit(Encoding.UTF8.GetBytes(text.Trim().ToLowerInvariant()).Select(b => b + 1).ToList(), StartOfText, EndOfText, contextLength, Truncation);

    /// <summary>The open_clip-truncated row of a caption.</summary>
    public static long[] Encode(string text, int contextLength) => Instance.Tokenize(text, contextLength);
}
