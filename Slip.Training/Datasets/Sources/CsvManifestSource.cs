using nietras.SeparatedValues;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// A CSV or TSV manifest (open_clip's <c>--csv-img-key filepath --csv-caption-key title</c>): a header row, one sample
/// per row, image paths relative to the manifest's folder. Tab-separated without quoting when the file ends in .tsv,
/// else commas with RFC 4180 quoting; read by Sep. A path outside the data roots is a sample problem, never a read.
/// </summary>
public sealed class CsvManifestSource : IndexedSource
{
    private readonly (string Path, string? Caption)[] rows;
    private readonly DataRoots roots;

    private CsvManifestSource((string, string?)[] rows, DataRoots roots)
    {
        this.rows = rows;
        this.roots = roots;
    }

    public override int Length => rows.Length;

    /// <summary>Reads the manifest; throws <see cref="InvalidDataException"/> naming the missing column or the empty file.</summary>
    public static CsvManifestSource Open(string manifest, string imageColumn, string captionColumn, DataRoots roots)
    {
        var tsv = manifest.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(manifest))!;
        // CSV: RFC 4180 quoting, unescaped. TSV: a tab ends a field and a newline a row, whatever the quotes (as in
        // CC3M's and CC12M's TSVs, whose captions may start with a quote that never closes).
        using var reader = Sep.New(tsv ? '\t' : ',').Reader(o => o with { Unescape = !tsv, DisableQuotesParsing = tsv, DisableColCountCheck = true }).FromFile(manifest);
        var header = reader.Header.ColNames;
        if (header.Count == 0 || (header.Count == 1 && header[0].Length == 0))
        {
            throw new InvalidDataException($"The manifest '{manifest}' is empty.");
        }

        int Column(string name) => header.ToList().IndexOf(name) is var i and >= 0 ? i
            : throw new InvalidDataException($"The manifest '{manifest}' has no column '{name}'; its columns are {string.Join(", ", header.Select(h => $"'{h}'"))}.");
        var (image, caption) = (Column(imageColumn), Column(captionColumn));
        var rows = new List<(string, string?)>();
        foreach (var row in reader)
        {
            if (row.ColCount == 1 && row[0].Span.Trim('\r').IsEmpty)
            {
                continue;   // a blank line
            }

            var path = image < row.ColCount ? row[image].Span.TrimEnd('\r').ToString() : "";
            var text = caption < row.ColCount ? row[caption].Span.Trim().ToString() : "";
            rows.Add((path.Length == 0 ? "" : System.IO.Path.GetFullPath(path, folder), text.Length == 0 ? null : text));
        }

        return new CsvManifestSource(rows.ToArray(), roots);
    }

    public override RawSample Read(int index)
    {
        var (path, caption) = rows[index];
        var key = System.IO.Path.GetFileName(path);
        if (path.Length == 0)
        {
            return new RawSample($"row {index + 2}", caption) { Problem = "no image path" };
        }

        if (roots.Resolve(path) is not { } real)
        {
            return new RawSample(key, caption) { Problem = $"outside the data roots: {path}" };
        }

        try
        {
            return new RawSample(key, caption) { Encoded = File.ReadAllBytes(real) };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new RawSample(key, caption) { Problem = $"unreadable: {ex.Message}" };
        }
    }
}
