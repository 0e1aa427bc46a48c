using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// Python 3.11's <c>str.lower</c>, <c>str.isspace</c> and <c>str.strip</c>, and the <c>regex</c> module's <c>\s</c>,
/// on Python's Unicode 14.0 tables (<see cref="PythonTextTables"/>) rather than .NET's, which map case 1:1
/// (<c>İ</c> to <c>i</c> instead of <c>i</c> + U+0307, no final sigma).
/// </summary>
public static class PythonText
{
    private const int CapitalSigma = 0x03A3;

    /// <summary>Python's <c>str.lower()</c>: full lower-case mappings, and the final-sigma rule for U+03A3.</summary>
    public static string Lower(string text)
    {
        if (CodePoints.IsAscii(text))
        {
            return text.ToLowerInvariant();
        }

        var tables = PythonTextTables.Instance;
        var lowered = new StringBuilder(text.Length);
        Span<char> buffer = stackalloc char[128];
        for (var i = 0; i < text.Length;)
        {
            var run = text.AsSpan(i, Math.Min(buffer.Length, text.Length - i));
            var ascii = run.IndexOfAnyExceptInRange('\u0000', '\u007F');
            if (ascii != 0)
            {
                Ascii.ToLower(ascii < 0 ? run : run[..ascii], buffer, out var written);
                lowered.Append(buffer[..written]);
                i += written;
                continue;
            }

            var c = CodePoints.At(text, i, out var length);
            if (c == CapitalSigma)
            {
                lowered.Append(IsFinalSigma(text, i, tables) ? 'ς' : 'σ');
            }
            else if (tables.Lower.TryGetValue(c, out var mapped))
            {
                lowered.Append(mapped);
            }
            else
            {
                lowered.Append(text, i, length);
            }

            i += length;
        }

        return lowered.ToString();
    }

    /// <summary>Python's <c>str.isspace()</c> for one code point: Unicode White_Space plus U+001C-U+001F.</summary>
    public static bool IsSpace(int codePoint) =>
        codePoint < 0x80 ? codePoint is (>= 0x09 and <= 0x0D) or (>= 0x1C and <= 0x20) : PythonTextTables.Instance.IsSpace.Contains(codePoint);

    /// <summary>The <c>regex</c> module's <c>\s</c>: Unicode White_Space (<see cref="IsSpace"/> without U+001C-U+001F).</summary>
    public static bool IsWhiteSpace(int codePoint) => IsSpace(codePoint) && codePoint is not (>= 0x1C and <= 0x1F);

    /// <summary>Python's <c>str.strip()</c>: drops <see cref="IsSpace"/> characters at both ends.</summary>
    public static string Strip(string text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && IsSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsSpace(text[end - 1]))
        {
            end--;
        }

        return start == 0 && end == text.Length ? text : text[start..end];
    }

    /// <summary>CLIP's <c>regex.sub(r'\s+', ' ', text)</c>: each run of White_Space becomes one space.</summary>
    public static string CollapseWhiteSpace(string text)
    {
        var i = 0;
        while (i < text.Length && (!IsWhiteSpace(text[i]) || (text[i] == ' ' && (i + 1 == text.Length || !IsWhiteSpace(text[i + 1])))))
        {
            i++;
        }

        if (i == text.Length)
        {
            return text;
        }

        var collapsed = new StringBuilder(text.Length).Append(text, 0, i);
        while (i < text.Length)
        {
            if (IsWhiteSpace(text[i]))
            {
                collapsed.Append(' ');
                while (i < text.Length && IsWhiteSpace(text[i]))
                {
                    i++;
                }
            }
            else
            {
                collapsed.Append(text[i++]);
            }
        }

        return collapsed.ToString();
    }

    // Python's rule (unicodeobject.c, handle_capital_sigma): final when a cased letter precedes the sigma, skipping
    // case-ignorable characters, and no cased letter follows it, skipping them too.
    private static bool IsFinalSigma(string text, int index, PythonTextTables tables)
    {
        int c;
        var j = index;
        do
        {
            if (j == 0)
            {
                return false;
            }

            c = CodePoints.Before(text, j, out var length);
            j -= length;
        }
        while (tables.CaseIgnorable.Contains(c));

        if (!tables.Cased.Contains(c))
        {
            return false;
        }

        for (j = index + 1; j < text.Length;)
        {
            c = CodePoints.At(text, j, out var length);
            j += length;
            if (!tables.CaseIgnorable.Contains(c))
            {
                return !tables.Cased.Contains(c);
            }
        }

        return true;
    }
}
