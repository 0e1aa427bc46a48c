using System.Text;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// A CSV or TSV manifest (open_clip's <c>--csv-img-key filepath --csv-caption-key title</c>): a header row, one sample
/// per row, image paths relative to the manifest's folder. Tab-separated when the file ends in .tsv, else commas, with
/// RFC 4180 quoting. A path outside the data roots is a sample problem, never a read.
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
        var separator = manifest.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(manifest))!;
        using var reader = new StreamReader(manifest, Encoding.UTF8);
        var header = ReadRecord(reader, separator) ?? throw new InvalidDataException($"The manifest '{manifest}' is empty.");
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i
            : throw new InvalidDataException($"The manifest '{manifest}' has no column '{name}'; its columns are {string.Join(", ", header.Select(h => $"'{h}'"))}.");
        var (image, caption) = (Column(imageColumn), Column(captionColumn));
        var rows = new List<(string, string?)>();
        while (ReadRecord(reader, separator) is { } record)
        {
            if (record.Length == 1 && record[0].Length == 0)
            {
                continue;
            }

            var path = image < record.Length ? record[image] : "";
            var text = caption < record.Length ? record[caption].Trim() : "";
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

    /// <summary>One record, honouring quotes (which may hold separators, doubled quotes and newlines); null at the end.</summary>
    private static string[]? ReadRecord(TextReader reader, char separator)
    {
        if (reader.Peek() < 0)
        {
            return null;
        }

        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0 || (!quoted && c == '\n'))
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                return fields.ToArray();
            }

            if (quoted && c == '"' && reader.Peek() == '"')
            {
                field.Append('"');
                reader.Read();
            }
            else if (c == '"' && (quoted || field.Length == 0))
            {
                quoted = !quoted;
            }
            else if (!quoted && c == separator)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append((char)c);
            }
        }
    }
}
