using System.Text.Json;

namespace Slip.Training.Datasets.Text;

/// <summary>
/// The Python standard-library tables CLIP's text cleaning reads (code pages, HTML entities, <c>str.lower</c>,
/// <c>str.isspace</c>, ftfy's width table), dumped once by <c>reference/make_text_tables.py</c> into the embedded
/// <c>python-text-tables.json</c> (see this folder's README.md) and parsed on first use.
/// </summary>
internal sealed class PythonTextTables
{
    /// <summary>The name of the embedded JSON.</summary>
    public const string Resource = "Slip.Training.python-text-tables.json";

    private static readonly Lazy<PythonTextTables> Loaded = new(Load);

    public static PythonTextTables Instance => Loaded.Value;

    /// <summary>Each single-byte codec ftfy tries, by ftfy's name: the 256 characters bytes 0x00-0xFF decode to.</summary>
    public required IReadOnlyDictionary<string, string> Charmaps { get; init; }

    /// <summary><c>html.entities.html5</c>: entity name (with or without ';') to its text.</summary>
    public required IReadOnlyDictionary<string, string> Html5 { get; init; }

    /// <summary>The ALL-CAPS names ftfy also decodes (name with ';' to text).</summary>
    public required IReadOnlyDictionary<string, string> Html5Upper { get; init; }

    /// <summary><c>html._invalid_charrefs</c>: numeric references the HTML standard redirects.</summary>
    public required IReadOnlyDictionary<int, string> InvalidCharrefs { get; init; }

    /// <summary><c>html._invalid_codepoints</c>: numeric references that <c>html.unescape</c> drops.</summary>
    public required CodePointSet InvalidCodepoints { get; init; }

    /// <summary><c>chr(c).lower()</c> wherever it is not <c>chr(c)</c>.</summary>
    public required IReadOnlyDictionary<int, string> Lower { get; init; }

    public required CodePointSet Cased { get; init; }

    public required CodePointSet CaseIgnorable { get; init; }

    /// <summary><c>str.isspace</c>.</summary>
    public required CodePointSet IsSpace { get; init; }

    /// <summary>ftfy's width table: U+3000 and the half/full-width forms U+FF01-U+FFEF to their NFKC text.</summary>
    public required IReadOnlyDictionary<int, string> WidthMap { get; init; }

    private static PythonTextTables Load()
    {
        using var stream = typeof(PythonTextTables).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The text tables '{Resource}' are missing from the assembly.");
        using var json = JsonDocument.Parse(stream);
        var root = json.RootElement;
        return new PythonTextTables
        {
            Charmaps = Strings(root.GetProperty("charmaps")),
            Html5 = Strings(root.GetProperty("html5")),
            Html5Upper = Strings(root.GetProperty("html5Upper")),
            InvalidCharrefs = Pairs(root.GetProperty("invalidCharrefs")),
            InvalidCodepoints = Ranges(root.GetProperty("invalidCodepoints")),
            Lower = Pairs(root.GetProperty("lower")),
            Cased = Ranges(root.GetProperty("cased")),
            CaseIgnorable = Ranges(root.GetProperty("caseIgnorable")),
            IsSpace = Ranges(root.GetProperty("isSpace")),
            WidthMap = Pairs(root.GetProperty("widthMap")),
        };
    }

    private static Dictionary<string, string> Strings(JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    private static Dictionary<int, string> Pairs(JsonElement list) =>
        list.EnumerateArray().ToDictionary(p => p[0].GetInt32(), p => p[1].GetString()!);

    private static CodePointSet Ranges(JsonElement list) =>
        new(list.EnumerateArray().Select(r => (r[0].GetInt32(), r[1].GetInt32())));
}
