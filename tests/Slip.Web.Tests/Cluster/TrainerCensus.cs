using System.Collections.Concurrent;
using System.Globalization;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// Counts the trainer processes on this machine from /proc, not from the database: a trainer is a process whose
/// command line holds <c>train</c> and <c>--out FOLDER</c> (a run's checkpoint folder). Sampled every 25 ms in the
/// background, it keeps the most trainers seen at once per folder.
/// </summary>
public sealed class TrainerCensus : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> most = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;

    public TrainerCensus() => sampling = Task.Run(SampleAsync);

    /// <summary>A trainer: its process, its parent (the worker host that started it) and its run's folder.</summary>
    public sealed record Trainer(int Pid, int ParentPid, string Folder);

    /// <summary>The most trainers seen at once on <paramref name="folder"/> since the census began.</summary>
    public int MostAtOnce(string folder) => most.GetValueOrDefault(folder);

    /// <summary>The trainers running now.</summary>
    public static List<Trainer> Now()
    {
        var trainers = new List<Trainer>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                var output = Array.IndexOf(args, "--out");
                if (args.Contains("train") && output >= 0 && output + 1 < args.Length)
                {
                    trainers.Add(new Trainer(pid, ParentOf(dir), args[output + 1]));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while it was read.
            }
        }

        return trainers;
    }

    /// <summary>Whether <paramref name="pid"/> still runs: it exists and is not a zombie (dead, waiting for whoever adopted it to reap it).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static List<Trainer> Of(string folder) => [.. Now().Where(t => t.Folder == folder)];

    /// <summary>The parent's pid: the fourth field of /proc/PID/stat, after the command name in parentheses.</summary>
    private static int ParentOf(string dir)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    private async Task SampleAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var group in Now().GroupBy(t => t.Folder))
            {
                most.AddOrUpdate(group.Key, group.Count(), (_, seen) => Math.Max(seen, group.Count()));
            }

            try
            {
                await Task.Delay(25, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await sampling;
        stop.Dispose();
    }
}
