using System.Globalization;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// ftfy's <c>is_bad</c>: whether any of the 37 alternatives of <c>BADNESS_RE</c> (ftfy/badness.py:274-397, in that
/// order) matches somewhere in the text, i.e. whether it looks like mojibake. Positions are UTF-16 chars: every
/// class member is in the BMP, and the two places where a whole code point counts (<c>.</c> and <c>\w</c>) read one.
/// </summary>
internal static class Badness
{
    private const CharClass C1 = CharClass.C1;
    private const CharClass Bad = CharClass.Bad;
    private const CharClass Law = CharClass.Law;
    private const CharClass Cur = CharClass.Currency;
    private const CharClass Sp = CharClass.StartPunctuation;
    private const CharClass Ep = CharClass.EndPunctuation;
    private const CharClass Num = CharClass.Numeric;
    private const CharClass Kao = CharClass.Kaomoji;
    private const CharClass UA = CharClass.UpperAccented;
    private const CharClass LA = CharClass.LowerAccented;
    private const CharClass UC = CharClass.UpperCommon;
    private const CharClass LC = CharClass.LowerCommon;
    private const CharClass Box = CharClass.Box;
    private const CharClass Common = CharClass.Common;

    public static bool IsBad(string text)
    {
        // Every alternative has a classed character (all U+0080 or above) among its first three, so only the three
        // positions that end at each classed character can start a match.
        var tried = -1;
        for (var k = 0; k < text.Length; k++)
        {
            var next = text.AsSpan(k).IndexOfAnyExceptInRange('\u0000', '\u007F');
            if (next < 0)
            {
                break;
            }

            k += next;
            if (MojibakeClasses.Of(text[k]) == CharClass.None)
            {
                continue;
            }

            for (var i = Math.Max(k - 2, tried + 1); i <= k; i++)
            {
                if (MatchesAt(text, i))
                {
                    return true;
                }
            }

            tried = k;
        }

        return false;
    }

    private static bool MatchesAt(string t, int i)
    {
        var a = MojibakeClasses.Of(t, i);
        var b = MojibakeClasses.Of(t, i + 1);
        var c = MojibakeClasses.Of(t, i + 2);
        var c0 = t[i];
        var c1 = Char(t, i + 1);    // '\0' past the end: in no class and equal to no literal tested below
        var c2 = Char(t, i + 2);
        return
            Has(a, C1)                                                                                  // 1
            || (Has(a, Bad | LA | UA | Box | Sp | Ep | Cur | Num | Law) && Has(b, Bad))                 // 2
            || (char.IsAsciiLetter(c0) && Has(b, LC | UC) && Has(c, Bad))                               // 3
            || (Has(a, Bad) && Has(b, LA | UA | Box | Sp | Ep | Cur | Num | Law))                       // 4
            || (Has(a, LA | LC | Box | Ep | Cur | Num) && Has(b, UA))                                   // 5
            || (Has(a, Box | Ep | Cur | Num) && Has(b, LA))                                             // 6
            || (Has(a, LA | Box | Ep) && Has(b, Cur))                                                   // 7
            || (PythonText.IsSpace(c0) && Has(b, UA) && Has(c, Cur))                                    // 8
            || (Has(a, UA | Box) && Has(b, Num | Law))                                                  // 9
            || (Has(a, LA | UA | Box | Cur | Ep) && Has(b, Sp) && Has(c, Num))                          // 10
            || (Has(a, LA | UA | Cur | Num | Box | Law) && Has(b, Ep) && Has(c, Sp))                    // 11
            || (Has(a, Cur | Num | Box) && Has(b, Sp))                                                  // 12
            || (char.IsAsciiLetterLower(c0) && Has(b, UA) && Has(c, Sp | Cur))                          // 13
            || (Has(a, Box) && Has(b, Kao))                                                             // 14
            || (Has(a, LA | UA | Cur | Num | Sp | Ep | Law) && Has(b, Box))                             // 15
            || (Has(a, Box) && Has(b, Ep))                                                              // 16
            || (Has(a, LA | UA) && Has(b, Sp | Ep) && IsWordAt(t, i + 2))                               // 17
            || (c0 is 'Œ' or 'œ' && i + 1 < t.Length && !char.IsAsciiLetter(c1))                        // 18
            || (Has(a, UA) && c1 == '°')                                                                // 19
            || (c0 is 'Â' or 'Ã' or 'Î' or 'Ð' && (Has(b, Sp | Ep) || "€œŠš¢£Ÿž\u00A0\u00AD®©°·»–—´".Contains(c1)))  // 20
            || (c0 == '×' && c1 is '²' or '³')                                                          // 21
            || (c0 is 'Ø' or 'Ù' && IsArabicFollower(t, i + 1) && c2 is 'Ø' or 'Ù' && IsArabicFollower(t, i + 3))  // 22
            || (c0 == 'à' && c1 is '²' or 'µ' or '¹' or '¼' or '½' or '¾')                               // 23
            || (c0 == '√' && "±∂†≠®™´≤≥¥µø".Contains(c1))                                               // 24
            || (c0 == '≈' && c1 is '°' or '¢')                                                          // 25
            || (c0 == '‚' && c1 == 'Ä' && "ìîïòôúùû†°¢π".Contains(c2))                                 // 26
            || (c0 == '‚' && c1 is 'â' or 'ó' && c2 is 'à' or 'ä' or '°' or 'ê')                        // 27
            || (c0 == 'в' && c1 == 'Ђ')                                                                 // 28
            || (c0 is 'В' or 'Г' or 'Р' or 'С' && (Has(b, C1 | Bad | Sp | Ep | Cur) || c1 is '°' or 'µ') && c2 is 'В' or 'Г' or 'Р' or 'С')  // 29
            || FiveCyrillic(t, i)                                                                       // 30
            || (c0 == 'Ã' && c1 is '\u00A0' or '¡')                                                     // 31
            || (char.IsAsciiLetterLower(c0) && ((PythonText.IsSpace(c1) && c2 is 'Ã' or 'Â' && Char(t, i + 3) == ' ') || (c1 is 'Ã' or 'Â' && c2 == ' ')))  // 32
            || (i == 0 && c0 is 'Ã' or 'Â' && c1 == ' ')                                                // 33
            || ((c0 is (>= 'a' and <= 'z') or '.' or ',' or '?' or '!' || Has(a, Ep)) && c1 == 'Â' && (c2 == ' ' || Has(c, Sp | Ep)))  // 34
            || (c0 == 'β' && c1 == '€' && c2 is '™' or '\u00A0' or 'Ά' or '\u00AD' or '®' or '°')        // 35
            || (c0 is 'Β' or 'Γ' or 'Ξ' or 'Ο' && (Has(b, C1 | Bad | Sp | Ep | Cur) || c1 == '°') && c2 is 'Β' or 'Γ' or 'Ξ' or 'Ο')  // 36
            || (c0 == 'ā' && c1 == '€');                                                                // 37
    }

    private static bool Has(CharClass classes, CharClass any) => (classes & any) != 0;

    private static char Char(string text, int index) => index < text.Length ? text[index] : '\0';

    // [{common}{currency}{bad}{numeric}{start_punctuation}ŸŠ®°µ»]
    private static bool IsArabicFollower(string t, int index) =>
        Has(MojibakeClasses.Of(t, index), Common | Cur | Bad | Num | Sp) || Char(t, index) is 'Ÿ' or 'Š' or '®' or '°' or 'µ' or '»';

    // ГўВЂВ.[A-Za-z ]  ('.' is one code point other than a newline)
    private static bool FiveCyrillic(string t, int i)
    {
        if (string.CompareOrdinal(t, i, "ГўВЂВ", 0, 5) != 0 || i + 5 >= t.Length || t[i + 5] == '\n')
        {
            return false;
        }

        CodePoints.At(t, i + 5, out var length);
        var next = Char(t, i + 5 + length);
        return char.IsAsciiLetter(next) || next == ' ';
    }

    // Python re's \w on str: a letter or a number (str.isalnum), or '_'.
    private static bool IsWordAt(string t, int index)
    {
        if (index >= t.Length)
        {
            return false;
        }

        var category = CodePoints.Category(CodePoints.At(t, index, out _));
        return t[index] == '_' || category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}
