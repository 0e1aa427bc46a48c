using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// The byte-level half of ftfy's mojibake repair: putting back 0xA0 bytes that became spaces
/// (<c>restore_byte_a0</c>, ftfy/fixes.py:416-440), marking sequences a sloppy code page lost as U+FFFD
/// (<c>replace_lossy_sequences</c>, fixes.py:442-478), and decoding as UTF-8 or ftfy's <c>utf-8-variants</c>
/// (CESU-8 surrogate pairs and Java's C0 80 null; ftfy/bad_codecs/utf8_variants.py).
/// </summary>
internal static class Utf8Bytes
{
    private static bool Continuation(int b) => b is >= 0x80 and <= 0xBF;

    // [\x80-\x84\x86-\x9f\xa1-\xbf]: a continuation byte other than 0x85 and 0xA0.
    private static bool LikelyContinuation(int b) => Continuation(b) && b is not (0x85 or 0xA0);

    private static int At(byte[] bytes, int index) => index < bytes.Length ? bytes[index] : -1;

    /// <summary>The length of the <c>ALTERED_UTF8_RE</c> match (ftfy/chardata.py:159-166) at <paramref name="p"/>, or 0.</summary>
    private static int AlteredUtf8At(byte[] s, int p)
    {
        var (b0, b1, b2, b3) = (s[p], At(s, p + 1), At(s, p + 2), At(s, p + 3));
        if (b0 is 0xC2 or 0xC3 or 0xC5 or 0xCE or 0xD0 or 0xD9 && b1 == 0x20)
        {
            return 2;
        }

        if ((b0 is 0xE2 or 0xE3 && b1 == 0x20 && LikelyContinuation(b2)) || (b0 is >= 0xE0 and <= 0xE3 && LikelyContinuation(b1) && b2 == 0x20))
        {
            return 3;
        }

        var f0 = b0 == 0xF0;
        return f0 && ((b1 == 0x20 && Continuation(b2) && Continuation(b3)) || (Continuation(b1) && b2 == 0x20 && Continuation(b3))
            || (Continuation(b1) && Continuation(b2) && b3 == 0x20)) ? 4 : 0;
    }

    public static bool HasAlteredUtf8(byte[] bytes) => Enumerable.Range(0, bytes.Length).Any(p => AlteredUtf8At(bytes, p) > 0);

    /// <summary><c>restore_byte_a0</c>: "Ã " not starting " ", "quele", "quela", "quilo" or "s " gets its 0xA0 back before
    /// the space, then every <c>ALTERED_UTF8_RE</c> match has its spaces turned into 0xA0.</summary>
    public static byte[] RestoreByteA0(byte[] bytes)
    {
        var graved = new List<byte>(bytes.Length + 8);
        for (var p = 0; p < bytes.Length; p++)
        {
            graved.Add(bytes[p]);
            if (bytes[p] == 0xC3 && At(bytes, p + 1) == 0x20 && !FollowedByException(bytes, p + 2))
            {
                graved.Add(0xA0);
            }
        }

        var s = graved.ToArray();
        for (var p = 0; p < s.Length;)
        {
            var length = AlteredUtf8At(s, p);
            for (var k = p; k < p + length; k++)
            {
                s[k] = s[k] == 0x20 ? (byte)0xA0 : s[k];
            }

            p += Math.Max(length, 1);
        }

        return s;
    }

    private static bool FollowedByException(byte[] bytes, int p) =>
        Array.Exists<string>([" ", "quele", "quela", "quilo", "s "], w => p + w.Length <= bytes.Length && Encoding.ASCII.GetString(bytes, p, w.Length) == w);

    /// <summary><c>replace_lossy_sequences</c>: UTF-8-shaped sequences with a 0x1A (a U+FFFD the sloppy code page
    /// wrote) or at most one '?' in them, and any other 0x1A, become EF BF BD.</summary>
    public static byte[] ReplaceLossySequences(byte[] bytes)
    {
        var result = new List<byte>(bytes.Length);
        for (var p = 0; p < bytes.Length;)
        {
            var length = LossyAt(bytes, p);
            if (length == 0)
            {
                result.Add(bytes[p++]);
            }
            else
            {
                result.AddRange([0xEF, 0xBF, 0xBD]);
                p += length;
            }
        }

        return [.. result];
    }

    // LOSSY_UTF8_RE (ftfy/chardata.py:177-188), alternatives in order.
    private static int LossyAt(byte[] s, int p)
    {
        static bool Lost(int b) => b is 0x1A or '?';
        static bool LostOrCont(int b) => b == 0x1A || Continuation(b);
        static bool Either(int b) => Lost(b) || Continuation(b);
        var (b0, b1, b2, b3, b4, b5) = (s[p], At(s, p + 1), At(s, p + 2), At(s, p + 3), At(s, p + 4), At(s, p + 5));
        if ((b0 is >= 0xC2 and <= 0xDF && b1 == 0x1A) || (b0 is 0xC2 or 0xC3 && b1 == '?'))
        {
            return 2;
        }

        if (b0 == 0xED && b1 is >= 0xA0 and <= 0xAF && b3 == 0xED && b4 is >= 0xB0 and <= 0xBF
            && ((Lost(b2) && Either(b5)) || (Either(b2) && Lost(b5))))
        {
            return 6;
        }

        if (b0 is >= 0xE0 and <= 0xEF && ((Lost(b1) && LostOrCont(b2)) || (LostOrCont(b1) && Lost(b2))))
        {
            return 3;
        }

        if (b0 is >= 0xF0 and <= 0xF4 && ((Lost(b1) && LostOrCont(b2) && LostOrCont(b3))
            || (LostOrCont(b1) && Lost(b2) && LostOrCont(b3)) || (LostOrCont(b1) && LostOrCont(b2) && Lost(b3))))
        {
            return 4;
        }

        return b0 == 0x1A ? 1 : 0;
    }
}
