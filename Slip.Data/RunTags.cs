namespace Slip.Data;

/// <summary>Run tags as users type them and as they are stored (",a,b,": lower case, trimmed, distinct, so ",a," matches one tag exactly).</summary>
public static class RunTags
{
    public const int MaxTags = 20;
    public const int MaxLength = 40;

    /// <summary>The stored form of <paramref name="tags"/>, or the problem with them.</summary>
    public static (string Stored, string? Error) Normalise(IEnumerable<string>? tags)
    {
        var list = (tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct().ToList();
        if (list.Count > MaxTags)
        {
            return ("", $"A run can have at most {MaxTags} tags.");
        }

        if (list.FirstOrDefault(t => t.Length > MaxLength || t.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/'))) is { } bad)
        {
            return ("", $"The tag '{bad}' is not allowed: up to {MaxLength} letters, digits, '-', '_', '.', ':' or '/'.");
        }

        return (list.Count == 0 ? "" : "," + string.Join(',', list) + ",", null);
    }

    public static IReadOnlyList<string> Parse(string stored) => stored.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
