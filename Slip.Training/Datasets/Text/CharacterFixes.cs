using System.Buffers;
using System.Globalization;
using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// ftfy's character-by-character fixes (ftfy/fixes.py, tables in ftfy/chardata.py), each returning the same string
/// instance when it changes nothing.
/// </summary>
internal static class CharacterFixes
{
    /// <summary>ftfy's <c>LIGATURES</c> (ftfy/chardata.py:207-230), Latin ligatures and digraphs: each entry is the
    /// ligature, then the letters it becomes.</summary>
    private static readonly Dictionary<char, string> Ligatures =
        "ĲIJ ĳij ŉʼn ǱDZ ǲDz ǳdz ǄDŽ ǅDž ǆdž ǇLJ ǈLj ǉlj ǊNJ ǋNj ǌnj ﬀff ﬁfi ﬂfl ﬃffi ﬄffl ﬅſt ﬆst".Split(' ').ToDictionary(e => e[0], e => e[1..]);

    private static readonly SearchValues<char> C1Controls = Chars(Range('\u0080', '\u009F'));
    private static readonly SearchValues<char> LigatureChars = Chars(Ligatures.Keys);
    private static readonly SearchValues<char> WidthChars = Chars(Range('\uFF01', '\uFFEF').Append('\u3000'));
    private static readonly SearchValues<char> CurlyQuotes = Chars(Range('\u2018', '\u201F').Append('\u02BC'));
    private static readonly SearchValues<char> LineBreaks = Chars("\r\u2028\u2029\u0085");
    private static readonly SearchValues<char> ControlChars = Chars(Range('\u0000', '\u0008').Concat(Range('\u000E', '\u001F'))
        .Concat(Range('\u206A', '\u206F')).Concat(Range('\uFFF9', '\uFFFC')).Concat("\u000B\u007F\uFEFF"));

    private static readonly Lazy<string> Windows1252 = new(() => PythonTextTables.Instance.Charmaps["sloppy-windows-1252"]);

    /// <summary><c>fix_c1_controls</c>: U+0080-U+009F become what sloppy Windows-1252 decodes those bytes to (the five
    /// bytes Windows-1252 leaves undefined stay C1 controls).</summary>
    public static string FixC1Controls(string text) =>
        Translate(text, C1Controls, c => Windows1252.Value[c].ToString());

    /// <summary><c>fix_latin_ligatures</c>.</summary>
    public static string FixLatinLigatures(string text) => Translate(text, LigatureChars, c => Ligatures[c]);

    /// <summary><c>fix_character_width</c>: U+3000 and the half- and full-width forms U+FF01-U+FFEF, by ftfy's table.</summary>
    public static string FixCharacterWidth(string text) =>
        Translate(text, WidthChars, c => PythonTextTables.Instance.WidthMap.GetValueOrDefault(c));

    /// <summary><c>uncurl_quotes</c>: U+02BC and U+2018-U+201B to ', U+201C-U+201F to ".</summary>
    public static string UncurlQuotes(string text) =>
        Translate(text, CurlyQuotes, c => c >= '\u201C' ? "\"" : "'");

    /// <summary><c>fix_line_breaks</c>: CR LF, CR, U+2028, U+2029 and U+0085 become LF.</summary>
    public static string FixLineBreaks(string text) =>
        Translate(text.Contains("\r\n", StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal) : text, LineBreaks, _ => "\n");

    /// <summary><c>fix_surrogates</c> for .NET strings: a lone surrogate becomes U+FFFD (pairs are already one code point).</summary>
    public static string FixSurrogates(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return text;
        }

        var builder = (StringBuilder?)null;
        for (var i = 0; i < text.Length; i++)
        {
            CodePoints.At(text, i, out var length);
            var lone = length == 1 && char.IsSurrogate(text[i]);
            if (lone)
            {
                builder ??= new StringBuilder(text.Length).Append(text, 0, i);
            }

            builder?.Append(lone ? "\uFFFD" : text.AsSpan(i, length));
            i += length - 1;
        }

        return builder?.ToString() ?? text;
    }

    /// <summary><c>remove_terminal_escapes</c>: ESC [ then digits (any Unicode decimal digit) or ';', then an ASCII letter.</summary>
    public static string RemoveTerminalEscapes(string text)
    {
        var escape = text.IndexOf('\u001B');
        if (escape < 0)
        {
            return text;
        }

        var kept = new StringBuilder(text.Length);
        var copied = 0;
        for (; escape >= 0; escape = escape + 1 < text.Length ? text.IndexOf('\u001B', escape + 1) : -1)
        {
            if (escape < copied || escape + 1 >= text.Length || text[escape + 1] != '[')
            {
                continue;
            }

            var p = escape + 2;
            while (p < text.Length && (text[p] == ';' || CodePoints.Category(CodePoints.At(text, p, out _)) == UnicodeCategory.DecimalDigitNumber))
            {
                CodePoints.At(text, p, out var length);
                p += length;
            }

            if (p < text.Length && char.IsAsciiLetter(text[p]))
            {
                kept.Append(text, copied, escape - copied);
                copied = p + 1;
            }
        }

        return copied == 0 ? text : kept.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary><c>remove_control_chars</c> (ftfy/chardata.py:97-116): U+0000-U+0008, U+000B, U+000E-U+001F, U+007F,
    /// U+206A-U+206F, U+FEFF and U+FFF9-U+FFFC are deleted.</summary>
    public static string RemoveControlChars(string text) =>
        Translate(text, ControlChars, _ => "");

    /// <summary>Replaces each char of <paramref name="chars"/> by what <paramref name="map"/> gives (null: keep it).</summary>
    private static string Translate(string text, SearchValues<char> chars, Func<char, string?> map)
    {
        var first = text.AsSpan().IndexOfAny(chars);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (chars.Contains(c))
            {
                builder.Append(map(c) ?? c.ToString());
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static SearchValues<char> Chars(IEnumerable<char> chars) => SearchValues.Create(chars.ToArray());

    private static IEnumerable<char> Range(char first, char last) => Enumerable.Range(first, last - first + 1).Select(c => (char)c);
}
