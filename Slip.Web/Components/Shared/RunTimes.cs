namespace Slip.Web.Components.Shared;

/// <summary>Formatting of run times for tables and headers.</summary>
public static class RunTimes
{
    /// <summary>Elapsed time from start to finish (or to now while running), as "1h 02m", "3m 05s" or "12s".</summary>
    public static string Duration(DateTime? startedAt, DateTime? finishedAt)
    {
        if (startedAt is null)
        {
            return "—";
        }

        return Format((finishedAt ?? DateTime.UtcNow) - startedAt.Value);
    }

    /// <summary>A span as "1h 02m", "3m 05s" or "12s".</summary>
    public static string Format(TimeSpan span)
    {
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes:D2}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m {span.Seconds:D2}s"
            : $"{Math.Max(0, span.Seconds)}s";
    }
}
