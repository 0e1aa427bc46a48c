using System.Text.RegularExpressions;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// Shard lists as webdataset and open_clip write them: brace ranges (<c>{00000..00099}</c>, zero-padded like the
/// first bound), brace lists (<c>{a,b}</c>), several patterns joined by <c>::</c>, or a folder (its .tar files by name).
/// </summary>
public static partial class ShardPattern
{
    public static IReadOnlyList<string> Expand(string pattern)
    {
        if (Directory.Exists(pattern))
        {
            return Directory.EnumerateFiles(pattern, "*.tar").Order(StringComparer.Ordinal).ToList();
        }

        return pattern.Split("::", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).SelectMany(ExpandBraces).ToList();
    }

    private static IEnumerable<string> ExpandBraces(string pattern)
    {
        var match = Brace().Match(pattern);
        if (!match.Success)
        {
            yield return pattern;
            yield break;
        }

        var (head, body, tail) = (pattern[..match.Index], match.Groups[1].Value, pattern[(match.Index + match.Length)..]);
        var range = Range().Match(body);
        IEnumerable<string> items;
        if (range.Success)
        {
            var (from, to) = (long.Parse(range.Groups[1].Value), long.Parse(range.Groups[2].Value));
            if (to < from || to - from > 10_000_000)
            {
                throw new FormatException($"The shard range '{{{body}}}' is empty or too large.");
            }

            var width = range.Groups[1].Value.Length;
            items = Enumerable.Range(0, (int)(to - from + 1)).Select(i => (from + i).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width, '0'));
        }
        else
        {
            items = body.Split(',');
        }

        foreach (var item in items)
        {
            foreach (var expanded in ExpandBraces(head + item + tail))
            {
                yield return expanded;
            }
        }
    }

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Brace();

    [GeneratedRegex(@"^(\d+)\.\.(\d+)$")]
    private static partial Regex Range();
}
