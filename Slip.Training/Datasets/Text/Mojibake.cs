using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// ftfy's <c>fix_encoding</c> (ftfy/__init__.py:424-579): text that looks like UTF-8 decoded with a single-byte code
/// page (<see cref="Badness.IsBad"/>) is re-encoded with the first code page that can hold it and decoded as UTF-8;
/// failing that, runs that look like UTF-8 are fixed on their own, and C1 controls become their Windows-1252 characters.
/// </summary>
internal static class Mojibake
{
    /// <summary>Repeats one step of repair until the text stops changing.</summary>
    public static string FixEncoding(string text)
    {
        while (true)
        {
            var fixedText = FixOneStep(text);
            if (fixedText == text)
            {
                return text;
            }

            text = fixedText;
        }
    }

    private static string FixOneStep(string text)
    {
        if (text.Length == 0 || CodePoints.IsAscii(text) || !Badness.IsBad(text))
        {
            return text;
        }

        // The first code page that can encode the whole text and whose bytes decode as UTF-8 wins.
        foreach (var codec in SingleByteCodec.All)
        {
            if (!codec.CanEncode(text))
            {
                continue;
            }

            var bytes = codec.Encode(text);
            if (codec.Name != "macroman" && Utf8Bytes.HasAlteredUtf8(bytes))
            {
                bytes = Utf8Bytes.RestoreByteA0(bytes);
            }

            if (codec.IsSloppy)
            {
                bytes = Utf8Bytes.ReplaceLossySequences(bytes);
            }

            if (Utf8Variants.TryDecode(bytes, out var decoded))
            {
                return decoded;
            }
        }

        var inconsistent = DecodeInconsistentUtf8(text);
        if (inconsistent != text)
        {
            return inconsistent;
        }

        // ftfy next tries Latin-1 to strict Windows-1252, which changes exactly what fix_c1_controls changes.
        return text.Any(c => c is >= '\u0080' and <= '\u009F') ? CharacterFixes.FixC1Controls(text) : text;
    }

    /// <summary>
    /// <c>decode_inconsistent_utf8</c> (ftfy/fixes.py:481-498): each match of <c>UTF8_DETECTOR_RE</c> (ftfy/chardata.py:
    /// 675-690), a run of UTF-8-looking lead and continuation characters not preceded by a strict continuation
    /// character, is fixed on its own if it is shorter than the text and looks bad.
    /// </summary>
    private static string DecodeInconsistentUtf8(string text)
    {
        StringBuilder? result = null;
        var copied = 0;
        var length = -1;
        for (var i = 0; i < text.Length;)
        {
            var end = i;
            if (i == 0 || !MojibakeClasses.Is(text[i - 1], CharClass.Utf8ContinuationStrict))
            {
                for (var unit = SequenceAt(text, end); unit > 0; unit = SequenceAt(text, end))
                {
                    end += unit;
                }
            }

            if (end == i)
            {
                i++;
                continue;
            }

            var match = text[i..end];
            length = length < 0 ? CodePoints.Count(text) : length;
            if (match.Length < length && Badness.IsBad(match))
            {
                result ??= new StringBuilder(text.Length);
                result.Append(text, copied, i - copied).Append(FixEncoding(match));
                copied = end;
            }

            i = end;
        }

        return result is null ? text : result.Append(text, copied, text.Length - copied).ToString();
    }

    // One ( [first_of_2][cont] | [first_of_3][cont]{2} | [first_of_4][cont]{3} ) at index: its length, or 0.
    private static int SequenceAt(string text, int index)
    {
        var lead = MojibakeClasses.Of(text, index);
        foreach (var (first, length) in (ReadOnlySpan<(CharClass, int)>)[(CharClass.Utf8FirstOf2, 2), (CharClass.Utf8FirstOf3, 3), (CharClass.Utf8FirstOf4, 4)])
        {
            if ((lead & first) != 0 && index + length <= text.Length && Continues(text, index + 1, length - 1))
            {
                return length;
            }
        }

        return 0;
    }

    private static bool Continues(string text, int start, int count)
    {
        for (var k = start; k < start + count; k++)
        {
            if (!MojibakeClasses.Is(text[k], CharClass.Utf8Continuation))
            {
                return false;
            }
        }

        return true;
    }
}
