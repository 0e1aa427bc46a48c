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

    public const int Pad = 0;
    public const int StartOfText = 257;
    public const int EndOfText = 258;
    public const int VocabSize = 259;

    public long[] Tokenize(string text, int contextLength) => Encode(text, contextLength);

    public static long[] Encode(string text, int contextLength)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Trim().ToLowerInvariant());
        var ids = new long[contextLength];
        var body = Math.Min(bytes.Length, contextLength - 2);
        ids[0] = StartOfText;
        for (var i = 0; i < body; i++)
        {
            ids[i + 1] = bytes[i] + 1;
        }

        ids[body + 1] = EndOfText;
        return ids;
    }
}
