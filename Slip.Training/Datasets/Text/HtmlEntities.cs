using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// HTML character references two ways: Python's <c>html.unescape</c> (CLIP runs it twice after ftfy) and ftfy's own,
/// stricter <c>unescape_html</c> step (only references that end in ';', plus ALL-CAPS names of lower-case ones).
/// </summary>
public static class HtmlEntities
{
    private const int MaxNameLength = 32;     // html.unescape: [^\t\n\f <&#;]{1,32}
    private const int MaxFtfyLength = 24;     // ftfy: &#?[0-9A-Za-z]{1,24};

    /// <summary>ftfy's entity table: every <c>html5</c> name that ends in ';' and the upper-cased extras, as "&amp;name;".</summary>
    private static readonly Lazy<Dictionary<string, string>> FtfyNames = new(() =>
    {
        var tables = PythonTextTables.Instance;
        var names = tables.Html5.Where(e => e.Key.EndsWith(';')).Concat(tables.Html5Upper);
        return names.ToDictionary(e => "&" + e.Key, e => e.Value, StringComparer.Ordinal);
    });

    /// <summary>Python's <c>html.unescape</c>: numeric references with the HTML5 fix-ups, named ones with or without ';'
    /// (the longest legacy prefix wins: <c>&amp;notit</c> is <c>¬it</c>).</summary>
    public static string Unescape(string text) => Replace(text, MatchPython);

    /// <summary>ftfy's <c>unescape_html</c>: <c>&amp;#?[0-9A-Za-z]{1,24};</c> that names a known entity or a whole
    /// numeric reference; anything else is left for <see cref="Unescape"/>.</summary>
    public static string UnescapeFtfy(string text) => Replace(text, MatchFtfy);

    private delegate bool Matcher(string text, int start, out int end, out string replacement);

    private static string Replace(string text, Matcher match)
    {
        var i = text.IndexOf('&');
        if (i < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var copied = 0;
        while (i >= 0)
        {
            if (match(text, i, out var end, out var replacement))
            {
                result.Append(text, copied, i - copied).Append(replacement);
                copied = end;
                i = end < text.Length ? text.IndexOf('&', end) : -1;
            }
            else
            {
                i = i + 1 < text.Length ? text.IndexOf('&', i + 1) : -1;
            }
        }

        return copied == 0 ? text : result.Append(text, copied, text.Length - copied).ToString();
    }

    // The regex &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) and html._replace_charref.
    private static bool MatchPython(string text, int start, out int end, out string replacement)
    {
        var p = start + 1;
        replacement = "";
        if (p < text.Length && text[p] == '#')
        {
            var hex = p + 1 < text.Length && text[p + 1] is 'x' or 'X';
            var digits = hex ? p + 2 : p + 1;
            end = digits;
            var number = 0;
            while (end < text.Length && (hex ? char.IsAsciiHexDigit(text[end]) : char.IsAsciiDigit(text[end])))
            {
                number = Math.Min(number * (hex ? 16 : 10) + HexValue(text[end]), 0x110000);   // anything past U+10FFFF is alike
                end++;
            }

            if (end == digits)
            {
                return false;
            }

            end += end < text.Length && text[end] == ';' ? 1 : 0;
            replacement = Numeric(number);
            return true;
        }

        end = p;
        for (var count = 0; end < text.Length && count < MaxNameLength && text[end] is not ('\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';'); count++)
        {
            CodePoints.At(text, end, out var length);
            end += length;
        }

        if (end == p)
        {
            return false;
        }

        end += end < text.Length && text[end] == ';' ? 1 : 0;
        replacement = Named(text[p..end]);
        return true;
    }

    private static int HexValue(char c) => char.IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;

    private static string Numeric(int number)
    {
        var tables = PythonTextTables.Instance;
        if (tables.InvalidCharrefs.TryGetValue(number, out var redirected))
        {
            return redirected;
        }

        if (number is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
        {
            return "\uFFFD";
        }

        return tables.InvalidCodepoints.Contains(number) ? "" : char.ConvertFromUtf32(number);
    }

    private static string Named(string name)
    {
        var html5 = PythonTextTables.Instance.Html5;
        if (html5.TryGetValue(name, out var value))
        {
            return value;
        }

        // The longest prefix of at least two characters that is a name (all names are ASCII, so only the ASCII head
        // can be one; Python counts code points, which equal chars there).
        var asciiHead = 0;
        while (asciiHead < name.Length && char.IsAscii(name[asciiHead]))
        {
            asciiHead++;
        }

        for (var x = Math.Min(CodePoints.Count(name) - 1, asciiHead); x >= 2; x--)
        {
            if (html5.TryGetValue(name[..x], out value))
            {
                return value + name[x..];
            }
        }

        return "&" + name;
    }

    private static bool MatchFtfy(string text, int start, out int end, out string replacement)
    {
        replacement = "";
        var name = start + 1 + (start + 1 < text.Length && text[start + 1] == '#' ? 1 : 0);
        end = name;
        while (end < text.Length && end - name < MaxFtfyLength + 1 && char.IsAsciiLetterOrDigit(text[end]))
        {
            end++;
        }

        if (end == name || end - name > MaxFtfyLength || end >= text.Length || text[end] != ';')
        {
            return false;
        }

        var entity = text[start..++end];
        if (FtfyNames.Value.TryGetValue(entity, out var value))
        {
            replacement = value;
        }
        else if (entity.StartsWith("&#", StringComparison.Ordinal))
        {
            var unescaped = Unescape(entity);
            replacement = unescaped.Contains(';') ? entity : unescaped;
        }
        else
        {
            replacement = entity;
        }

        return true;
    }
}
