using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// ftfy 6.3.1's <c>fix_text</c> with its default settings (rspeer/python-ftfy@74dd0452, ftfy/__init__.py:290-421),
/// written for Slip from ftfy's documented behaviour and tables: HTML entities, mojibake (UTF-8 read with the wrong
/// code page), C1 controls, Latin ligatures, full/half-width forms, curly quotes, line breaks, terminal escapes and
/// control characters, then NFC, repeated until nothing changes.
/// </summary>
public static class TextRepair
{
    /// <summary>ftfy's <c>max_decode_length</c>: longer lines are fixed in pieces of this many code points.</summary>
    private const int MaxSegment = 1_000_000;

    /// <summary>
    /// ftfy's <c>fix_text(text)</c>. The text is fixed line by line (each piece ends after a '\n'); HTML entities are
    /// decoded until a line holds a literal '&lt;', and from then on not at all (ftfy's "auto" setting turns itself off
    /// for the rest of the text).
    /// </summary>
    public static string FixText(string text)
    {
        if (IsUntouchedAscii(text))
        {
            return text;
        }

        if (text.Length <= MaxSegment && text.IndexOf('\n') is var newlineAt && (newlineAt < 0 || newlineAt == text.Length - 1))
        {
            return FixSegment(text, !text.Contains('<'));
        }

        var result = new StringBuilder(text.Length);
        var unescape = true;
        for (var start = 0; start < text.Length;)
        {
            var newline = text.IndexOf('\n', start);
            var end = SegmentEnd(text, start, newline < 0 ? text.Length : newline + 1);
            var segment = text[start..end];
            unescape = unescape && !segment.Contains('<');
            result.Append(FixSegment(segment, unescape));
            start = end;
        }

        return result.ToString();
    }

    /// <summary>Printable ASCII, tab, line feed and form feed, without '&amp;': every step of ftfy leaves it alone.</summary>
    private static bool IsUntouchedAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is (< ' ' and not ('\t' or '\n' or '\f')) or > '~' or '&')
            {
                return false;
            }
        }

        return true;
    }

    private static int SegmentEnd(string text, int start, int end)
    {
        if (end - start <= MaxSegment)
        {
            return end;
        }

        var p = start;
        for (var count = 0; count < MaxSegment && p < end; count++)
        {
            CodePoints.At(text, p, out var length);
            p += length;
        }

        return p;
    }

    /// <summary>ftfy's <c>fix_and_explain</c>: one pass of every fix, in ftfy's order, until a pass changes nothing.</summary>
    private static string FixSegment(string text, bool unescapeHtml)
    {
        while (true)
        {
            var original = text;
            if (unescapeHtml)
            {
                text = HtmlEntities.UnescapeFtfy(text);
            }

            // Mojibake, C1 controls, ligatures, widths, curly quotes, surrogates and NFC only concern non-ASCII text.
            var ascii = CodePoints.IsAscii(text);
            if (!ascii)
            {
                text = Mojibake.FixEncoding(text);
                text = CharacterFixes.FixC1Controls(text);
                text = CharacterFixes.FixLatinLigatures(text);
                text = CharacterFixes.FixCharacterWidth(text);
                text = CharacterFixes.UncurlQuotes(text);
            }

            text = CharacterFixes.FixLineBreaks(text);
            text = ascii ? text : CharacterFixes.FixSurrogates(text);
            text = CharacterFixes.RemoveTerminalEscapes(text);
            text = CharacterFixes.RemoveControlChars(text);
            text = ascii || text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
            if (text == original)
            {
                return text;
            }
        }
    }
}
