using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// Python's strict UTF-8 decoder, and ftfy's <c>utf-8-variants</c> codec (ftfy/bad_codecs/utf8_variants.py) that ftfy
/// uses instead when the bytes hold 0xED or 0xC0: it also accepts Java's C0 80 for U+0000 and CESU-8 surrogate pairs.
/// </summary>
internal static class Utf8Variants
{
    /// <summary>Decodes <paramref name="bytes"/> as ftfy does after re-encoding; false where Python would raise.</summary>
    public static bool TryDecode(byte[] bytes, out string text)
    {
        text = "";
        var variants = Array.IndexOf(bytes, (byte)0xED) >= 0 || Array.IndexOf(bytes, (byte)0xC0) >= 0;
        var n = bytes.Length;
        var decoded = new StringBuilder(n);
        for (var p = 0; p < n;)
        {
            int b0 = bytes[p];
            if (b0 < 0x80)
            {
                decoded.Append((char)b0);
                p++;
            }
            else if (variants && b0 == 0xC0 && p + 1 < n && (bytes[p + 1] == 0x80 || EndsWithNewline(bytes, p + 1)))
            {
                // ftfy's pattern is \xc0(\x80|$), and Python's $ also matches before a final newline, which it then eats.
                decoded.Append('\0');
                p += 2;
            }
            else if (variants && IsCesu8Pair(bytes, p))
            {
                var codePoint = ((bytes[p + 1] & 0x0F) << 16) + ((bytes[p + 2] & 0x3F) << 10) + ((bytes[p + 4] & 0x0F) << 6) + (bytes[p + 5] & 0x3F) + 0x10000;
                decoded.AppendCodePoint(codePoint);
                p += 6;
            }
            else if (StrictSequence(bytes, p, out var codePoint, out var length))
            {
                decoded.AppendCodePoint(codePoint);
                p += length;
            }
            else
            {
                return false;
            }
        }

        text = decoded.ToString();
        return true;
    }

    private static bool EndsWithNewline(byte[] bytes, int p) => p == bytes.Length - 1 && bytes[p] == (byte)'\n';

    // ED [A0-AF] [80-BF] ED [B0-BF] [80-BF]: a surrogate pair encoded one surrogate at a time. (The last group is
    // ([\x80-\xbf]|$) in ftfy, so a final newline also passes there.)
    private static bool IsCesu8Pair(byte[] s, int p) =>
        p + 6 <= s.Length && s[p] == 0xED && s[p + 1] is >= 0xA0 and <= 0xAF && Continuation(s[p + 2])
        && s[p + 3] == 0xED && s[p + 4] is >= 0xB0 and <= 0xBF && (Continuation(s[p + 5]) || EndsWithNewline(s, p + 5));

    private static bool Continuation(byte b) => b is >= 0x80 and <= 0xBF;

    // Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
    private static bool StrictSequence(byte[] s, int p, out int codePoint, out int length)
    {
        int b0 = s[p];
        (length, codePoint, var low, var high) = b0 switch
        {
            >= 0xC2 and <= 0xDF => (2, b0 & 0x1F, 0x80, 0xBF),
            0xE0 => (3, b0 & 0x0F, 0xA0, 0xBF),
            0xED => (3, b0 & 0x0F, 0x80, 0x9F),
            >= 0xE1 and <= 0xEF => (3, b0 & 0x0F, 0x80, 0xBF),
            0xF0 => (4, b0 & 0x07, 0x90, 0xBF),
            >= 0xF1 and <= 0xF3 => (4, b0 & 0x07, 0x80, 0xBF),
            0xF4 => (4, b0 & 0x07, 0x80, 0x8F),
            _ => (0, 0, 0, 0),
        };
        if (length == 0 || p + length > s.Length || s[p + 1] < low || s[p + 1] > high)
        {
            return false;
        }

        for (var k = 1; k < length; k++)
        {
            if (!Continuation(s[p + k]))
            {
                return false;
            }

            codePoint = (codePoint << 6) | (s[p + k] & 0x3F);
        }

        return true;
    }
}
