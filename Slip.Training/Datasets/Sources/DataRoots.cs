namespace Slip.Training.Datasets.Sources;

/// <summary>
/// The folders datasets may be read from. A path is inside when its real path (symbolic links followed, <c>..</c>
/// resolved) is one of the roots' real paths or below it; anything else is refused, so a user-supplied path or a
/// manifest line cannot reach other files.
/// </summary>
public sealed class DataRoots
{
    private readonly string[] roots;

    public DataRoots(IEnumerable<string> roots) => this.roots = roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(RealPath).ToArray();

    /// <summary>No restriction: for the command line, where the user names their own files.</summary>
    public static DataRoots Unrestricted { get; } = new([]) { IsUnrestricted = true };

    public bool IsUnrestricted { get; private init; }

    public IReadOnlyList<string> Folders => roots;

    /// <summary>The real path of <paramref name="path"/> if it lies within a root; null if it does not.</summary>
    public string? Resolve(string path)
    {
        var real = RealPath(path);
        if (IsUnrestricted)
        {
            return real;
        }

        return roots.Any(r => real == r || real.StartsWith(r.EndsWith('/') ? r : r + "/", StringComparison.Ordinal)) ? real : null;
    }

    /// <summary>A user-facing explanation of why <paramref name="path"/> was refused.</summary>
    public string Refusal(string path) => roots.Length == 0
        ? $"'{path}' is outside the data roots: none are configured (set Slip:DataRoots)."
        : $"'{path}' is outside the data roots ({string.Join(", ", roots)}).";

    /// <summary>
    /// The canonical absolute path, as realpath(3) gives it: every symbolic link followed and each <c>..</c> applied to
    /// the folder reached so far (not to the text), so a link cannot be used to step out of a root. Parts that do not
    /// exist are kept as written.
    /// </summary>
    public static string RealPath(string path)
    {
        const int maxLinks = 40;
        var pending = new List<string>(System.IO.Path.Combine(Environment.CurrentDirectory, path).Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "/";
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = System.IO.Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            var next = System.IO.Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > maxLinks)
            {
                throw new IOException($"Too many symbolic links in '{path}'.");
            }

            // A relative target is relative to the link's folder; an absolute one starts again from the root.
            pending.InsertRange(0, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
            current = target.StartsWith('/') ? "/" : current;
        }

        return current;
    }
}
