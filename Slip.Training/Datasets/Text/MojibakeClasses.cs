namespace Slip.Training.Datasets.Text;

/// <summary>The character classes of ftfy's mojibake heuristics, as flags (a character can be in several).</summary>
[Flags]
internal enum CharClass : uint
{
    None = 0,
    Common = 1 << 0,
    C1 = 1 << 1,
    Bad = 1 << 2,
    Law = 1 << 3,
    Currency = 1 << 4,
    StartPunctuation = 1 << 5,
    EndPunctuation = 1 << 6,
    Numeric = 1 << 7,
    Kaomoji = 1 << 8,
    UpperAccented = 1 << 9,
    LowerAccented = 1 << 10,
    UpperCommon = 1 << 11,
    LowerCommon = 1 << 12,
    Box = 1 << 13,
    Utf8FirstOf2 = 1 << 14,
    Utf8FirstOf3 = 1 << 15,
    Utf8FirstOf4 = 1 << 16,
    Utf8Continuation = 1 << 17,
    Utf8ContinuationStrict = 1 << 18,
}

/// <summary>
/// ftfy 6.3.1's character classes (Apache-2.0, rspeer/python-ftfy@74dd0452): <c>MOJIBAKE_CATEGORIES</c>
/// (ftfy/badness.py:22-271), the characters that turn up when UTF-8 is decoded with a single-byte code page, and
/// <c>UTF8_CLUES</c> (ftfy/chardata.py:260-670), the characters that single-byte code pages give UTF-8 lead and
/// continuation bytes. In these strings "x-y" is the range x..y (no class holds an ASCII hyphen).
/// </summary>
internal static class MojibakeClasses
{
    private const string Common = "\u00A0\u00AD´·–-―’…";
    private const string C1 = "\u0080-\u009F";
    private const string Bad = "¤¦¨ª¬¯¸ºƒˆˇ˘˛˜†‡‰⌐◊\uFFFD";
    private const string Law = "§¶";
    private const string Currency = "¢£¥₧€";
    private const string StartPunctuation = "¡©«¿΄΅‘‚“„•‹\uF8FF";
    private const string EndPunctuation = "®»˝”›™";
    private const string Numeric = "±-³µ¹¼-¾×÷⁄№∂∆∏∑√∞∩∫≈≠≡≤≥";
    private const string Kaomoji = "°Ò-ÖÙ-Üò-öø-üŌŐŪŲ";
    private const string UpperAccented = "À-ÑØÜÝĀĂĄĆČĎĐĒĖĘĚĞĢĪİĶĹĻĽŁŃŅŇŒŘŚŞŠŢŤŮŰŸŹŻŽҐ";
    private const string LowerAccented = "ß-ñüāăąćčďđēėęěğģīįķĺļľłœŕśşšťźżžґﬁﬂ";
    private const string UpperCommon = "ÞΑ-ΩΆΈΉΊΌΎΏΪΫЁ-Я";   // Α-Ω includes the unassigned U+03A2, as in ftfy
    private const string LowerCommon = "α-ωάέήίΰа-џ";
    private const string Box = "│┌┐┘├┤┬┼═-╬▀▄█▌▐░▒▓";

    private const string Utf8FirstOf2 = "Â-ßĀĂĆČĎĐĒĖĘĚĞĢĪİĶĹĻŁŃŅŇŌŐŘŚŞŠŢŪŮŰŲŹŻŽΒ-ΡΣ-ίВ-Я";
    private const string Utf8FirstOf3 = "à-ïāăąćčďēėęěģīįķĺļŕźΰ-οа-п";
    private const string Utf8FirstOf4 = "ðóđğšπσру";
    private const string Utf8ContinuationStrict =
        "\u0080-¿ÆØæøĄąĽľŁłŒœŖŗŚśŞ-šŤťŸ-žƒˆˇ˘˛-˝΄-ΆΈ-ΊΌΎΏЁ-ЌЎЏё-ќўџҐґ†‡‰‹›€№™";
    private const string Utf8Continuation = Utf8ContinuationStrict + " –—―‘’‚“”„•…";   // the strict ones may not precede a match

    /// <summary>Every class member is below U+2600 except these four.</summary>
    private const int TableSize = 0x2600;

    private static readonly uint[] Table;
    private static readonly Dictionary<char, uint> Extra;

    static MojibakeClasses() => Table = Build(out Extra);

    public static CharClass Of(char c) => (CharClass)(c < TableSize ? Table[c] : Extra.GetValueOrDefault(c));

    /// <summary>The classes of the char at <paramref name="index"/>, or none past the end.</summary>
    public static CharClass Of(string text, int index) => index < text.Length ? Of(text[index]) : CharClass.None;

    public static bool Is(char c, CharClass any) => (Of(c) & any) != 0;

    private static uint[] Build(out Dictionary<char, uint> extra)
    {
        var table = new uint[TableSize];
        var beyond = new Dictionary<char, uint>();
        (string Members, CharClass Class)[] classes =
        [
            (Common, CharClass.Common), (C1, CharClass.C1), (Bad, CharClass.Bad), (Law, CharClass.Law),
            (Currency, CharClass.Currency), (StartPunctuation, CharClass.StartPunctuation),
            (EndPunctuation, CharClass.EndPunctuation), (Numeric, CharClass.Numeric), (Kaomoji, CharClass.Kaomoji),
            (UpperAccented, CharClass.UpperAccented), (LowerAccented, CharClass.LowerAccented),
            (UpperCommon, CharClass.UpperCommon), (LowerCommon, CharClass.LowerCommon), (Box, CharClass.Box),
            (Utf8FirstOf2, CharClass.Utf8FirstOf2), (Utf8FirstOf3, CharClass.Utf8FirstOf3),
            (Utf8FirstOf4, CharClass.Utf8FirstOf4), (Utf8Continuation, CharClass.Utf8Continuation),
            (Utf8ContinuationStrict, CharClass.Utf8ContinuationStrict),
        ];
        foreach (var (members, flag) in classes)
        {
            foreach (var c in Expand(members))
            {
                if (c < TableSize)
                {
                    table[c] |= (uint)flag;
                }
                else
                {
                    beyond[c] = beyond.GetValueOrDefault(c) | (uint)flag;
                }
            }
        }

        extra = beyond;
        return table;
    }

    private static IEnumerable<char> Expand(string members)
    {
        for (var i = 0; i < members.Length; i++)
        {
            if (i + 2 < members.Length && members[i + 1] == '-')
            {
                for (var c = members[i]; c <= members[i + 2]; c++)
                {
                    yield return c;
                }

                i += 2;
            }
            else
            {
                yield return members[i];
            }
        }
    }
}
