using System.Globalization;
using System.Text;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// Code-point access to UTF-16 strings, as Python sees a <c>str</c>: a surrogate pair is one code point, a lone
/// surrogate is a code point of its own (never an exception).
/// </summary>
internal static class CodePoints
{
    /// <summary>The code point starting at <paramref name="index"/> and how many chars it takes.</summary>
    public static int At(string text, int index, out int length)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }

        length = 1;
        return c;
    }

    /// <summary>The code point ending just before <paramref name="index"/> and how many chars it takes.</summary>
    public static int Before(string text, int index, out int length)
    {
        var c = text[index - 1];
        if (char.IsLowSurrogate(c) && index >= 2 && char.IsHighSurrogate(text[index - 2]))
        {
            length = 2;
            return char.ConvertToUtf32(text[index - 2], c);
        }

        length = 1;
        return c;
    }

    /// <summary>How many code points <paramref name="text"/> holds (Python's <c>len</c>).</summary>
    public static int Count(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; count++)
        {
            At(text, i, out var length);
            i += length;
        }

        return count;
    }

    public static StringBuilder AppendCodePoint(this StringBuilder builder, int codePoint) =>
        codePoint < 0x10000 ? builder.Append((char)codePoint) : builder.Append(char.ConvertFromUtf32(codePoint));

    /// <summary>Whether every char is U+0000-U+007F.</summary>
    public static bool IsAscii(string text) => Ascii.IsValid(text);

    /// <summary>The general category of a code point (a lone surrogate is <see cref="UnicodeCategory.Surrogate"/>).</summary>
    public static UnicodeCategory Category(int codePoint) =>
        Rune.IsValid(codePoint) ? Rune.GetUnicodeCategory(new Rune(codePoint)) : UnicodeCategory.Surrogate;
}
