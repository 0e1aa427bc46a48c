namespace Slip.Training.Datasets.Sources;

/// <summary>Which exceptions mean "this dataset (or its location) cannot be used", so callers show the message instead of failing.</summary>
public static class DatasetErrors
{
    /// <summary>
    /// True for what opening or probing a dataset throws on bad input: a missing, unreadable, malformed or out-of-root
    /// location, or shards that cannot be split as asked.
    /// </summary>
    public static bool IsUserFacing(Exception ex) =>
        ex is InvalidDataException or IOException or UnauthorizedAccessException or FormatException or InvalidOperationException;
}
