namespace Slip.Web;

/// <summary>RFC 4180 fields for the CSV exports.</summary>
public static class CsvText
{
    /// <summary>
    /// The text as one CSV field: a text a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
    /// carriage return: a run named <c>=HYPERLINK(...)</c>) gets a leading apostrophe (OWASP's CSV injection advice),
    /// unless it is a number such as -0.5; then quoted (quotes doubled) when it holds a comma, a quote or a line break.
    /// </summary>
    public static string Field(string text)
    {
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r'
            && !double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            text = "'" + text;
        }

        return text.Contains(',') || text.Contains('"') || text.Contains('\n') || text.Contains('\r') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
    }
}
