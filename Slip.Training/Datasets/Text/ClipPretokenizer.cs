using System.Globalization;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// CLIP's pre-tokenizer, the <c>regex</c>-module pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c> with
/// IGNORECASE, scanned over code points (a .NET regex would see the halves of an astral letter or digit). As in
/// <c>regex.findall</c>, the first alternative that matches at a position wins and unmatched code points (white space)
/// are skipped. IGNORECASE lets 's' match 'ſ' (U+017F, it folds to s), and keeps U+0345 (it folds to ι, a letter)
/// out of the last class although it is no letter, so that one is skipped too.
/// </summary>
public static class ClipPretokenizer
{
    private const string StartOfText = "<|startoftext|>";
    private const string EndOfText = "<|endoftext|>";
    private const int CombiningYpogegrammeni = 0x0345;
    private static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    private enum Kind { None, Letter, Number, Other }

    /// <summary>The pieces of <paramref name="text"/> in order, as char ranges.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var pieces = new List<(int, int)>();
        for (var i = 0; i < text.Length;)
        {
            var length = PieceAt(text, i);
            if (length > 0)
            {
                pieces.Add((i, length));
                i += length;
            }
            else
            {
                CodePoints.At(text, i, out var skipped);
                i += skipped;
            }
        }

        return pieces;
    }

    private static int PieceAt(string text, int i)
    {
        if (text[i] == '<')
        {
            foreach (var special in (ReadOnlySpan<string>)[StartOfText, EndOfText])
            {
                if (MatchesIgnoringCase(text, i, special))
                {
                    return special.Length;
                }
            }
        }

        if (text[i] == '\'')
        {
            foreach (var contraction in Contractions)
            {
                if (MatchesIgnoringCase(text, i + 1, contraction))
                {
                    return 1 + contraction.Length;
                }
            }
        }

        var kind = KindAt(text, i, out var length);
        if (kind is Kind.None or Kind.Number)
        {
            return kind == Kind.None ? 0 : length;
        }

        var end = i + length;
        while (end < text.Length && KindAt(text, end, out var next) == kind)
        {
            end += next;
        }

        return end - i;
    }

    private static Kind KindAt(string text, int index, out int length)
    {
        var codePoint = CodePoints.At(text, index, out length);
        switch (CodePoints.Category(codePoint))
        {
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                return Kind.Letter;
            case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                return Kind.Number;
            default:
                return PythonText.IsWhiteSpace(codePoint) || codePoint == CombiningYpogegrammeni ? Kind.None : Kind.Other;
        }
    }

    // The literals are lower-case ASCII; IGNORECASE also takes their upper case, and U+017F for 's'.
    private static bool MatchesIgnoringCase(string text, int start, string literal)
    {
        if (start + literal.Length > text.Length)
        {
            return false;
        }

        for (var k = 0; k < literal.Length; k++)
        {
            var (c, l) = (text[start + k], literal[k]);
            if (c != l && !(char.IsAsciiLetterUpper(c) && (char)(c | 0x20) == l) && !(l == 's' && c == 'ſ'))
            {
                return false;
            }
        }

        return true;
    }
}
