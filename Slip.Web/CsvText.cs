namespace Slip.Web;

/// <summary>RFC 4180 fields for the CSV exports.</summary>
public static class CsvText
{
    /// <summary>The text as one CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.</summary>
    public static string Field(string text) =>
        text.Contains(',') || text.Contains('"') || text.Contains('\n') || text.Contains('\r') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
