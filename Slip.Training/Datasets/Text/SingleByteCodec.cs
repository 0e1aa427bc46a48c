namespace Slip.Training.Datasets.Text;

/// <summary>
/// One of the single-byte code pages ftfy re-encodes suspected mojibake with (ftfy/chardata.py:15,
/// <c>CHARMAP_ENCODINGS</c>), on Python's tables. The "sloppy" Windows code pages keep the Latin-1 character for
/// bytes the real code page leaves undefined, and write U+FFFD as byte 0x1A.
/// </summary>
internal sealed class SingleByteCodec
{
    private const char Substitute = '\u001A';

    private readonly Dictionary<char, byte> encoder = [];

    private SingleByteCodec(string name, string decodeTable)
    {
        Name = name;
        DecodeTable = decodeTable;
        foreach (var value in Enumerable.Range(0x80, 0x80).Append(Substitute))
        {
            encoder[decodeTable[value]] = (byte)value;
        }
    }

    /// <summary>ftfy's name for it (<c>latin-1</c>, <c>sloppy-windows-1252</c>, ..., <c>macroman</c>, <c>cp437</c>).</summary>
    public string Name { get; }

    /// <summary>The character each byte decodes to.</summary>
    public string DecodeTable { get; }

    public bool IsSloppy => Name.StartsWith("sloppy", StringComparison.Ordinal);

    /// <summary>The code pages in the order ftfy tries them.</summary>
    public static IReadOnlyList<SingleByteCodec> All => Codecs.Value;

    private static readonly Lazy<SingleByteCodec[]> Codecs = new(() =>
    {
        string[] order =
        [
            "latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250", "sloppy-windows-1253",
            "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2", "macroman", "cp437",
        ];
        var tables = PythonTextTables.Instance.Charmaps;
        return order.Select(name => new SingleByteCodec(name, tables[name])).ToArray();
    });

    /// <summary>ftfy's <c>possible_encoding</c>: every char is ASCII other than U+001A, or what byte 0x1A or a byte
    /// 0x80-0xFF decodes to.</summary>
    public bool CanEncode(string text)
    {
        foreach (var c in text)
        {
            if ((c >= 0x80 || c == Substitute) && !encoder.ContainsKey(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The bytes of <paramref name="text"/>, which <see cref="CanEncode"/> accepted.</summary>
    public byte[] Encode(string text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            bytes[i] = c < 0x80 && c != Substitute ? (byte)c : encoder[c];
        }

        return bytes;
    }
}
