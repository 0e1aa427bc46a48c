using System.Diagnostics;
using Slip.Training;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// The trainer CLI as a child process, so a native crash fails the run and not the server. Streams its JSON-lines
/// events, keeps the tail of its stderr for error messages, and stops it politely (a "cancel" line), then by force.
/// </summary>
public sealed class TrainerProcess : IAsyncDisposable
{
    private const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
    private static readonly TimeSpan CancelPoll = TimeSpan.FromMilliseconds(500);
    private readonly Process process;
    private readonly Queue<string> stderrTail = new();
    private readonly Lock tailGate = new();

    private TrainerProcess(Process process) => this.process = process;

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Starts <c>train --config --out</c> on the worker's <paramref name="device"/> (see the overload).</summary>
    public static TrainerProcess Start(SlipOptions options, string configPath, string outputDirectory, string device) =>
        Start(options, ["train", "--config", configPath, "--out", outputDirectory], outputDirectory, device);

    /// <summary>
    /// Starts the trainer CLI with <paramref name="verb"/> (a verb and its arguments) in <paramref name="workingDirectory"/>,
    /// computing on the worker's <paramref name="device"/>: for cuda:N the child sees only that GPU (CUDA_VISIBLE_DEVICES=N)
    /// and is told <c>--device cuda:0</c>; otherwise <c>--device cpu</c>. A <paramref name="run"/> (train, eval) is also
    /// given the data roots and the BPE vocabulary; the device check reads neither.
    /// </summary>
    public static TrainerProcess Start(SlipOptions options, IReadOnlyList<string> verb, string workingDirectory, string device, bool run = true)
    {
        var trainer = ResolveTrainer(options);
        var start = trainer.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo(DotnetHost.Path()) { ArgumentList = { trainer } }
            : new ProcessStartInfo(trainer);
        foreach (var arg in verb)
        {
            start.ArgumentList.Add(arg);
        }

        ScrubSecrets(start);
        start.Environment[Slip.Training.Cli.StdinWatch.ExitWithParentVariable] = "1";   // the child ends when this host does (its stdin closes)

        start.ArgumentList.Add("--device");
        start.ArgumentList.Add(ChildDevice(device));

        // Always given to a run, so a trainer started by the dashboard reads nothing outside the configured roots.
        if (run)
        {
            start.ArgumentList.Add("--data-roots");
            start.ArgumentList.Add(string.Join(':', options.DataRoots.Select(Path.GetFullPath)));
        }

        if (run && !string.IsNullOrWhiteSpace(options.BpeVocabularyPath))
        {
            start.ArgumentList.Add("--bpe-vocab");
            start.ArgumentList.Add(Path.GetFullPath(options.BpeVocabularyPath));
        }

        if (options.TrainerThreads > 0)
        {
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add(options.TrainerThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = workingDirectory;
        if (options.PreloadJemalloc)
        {
            start.Environment["LD_PRELOAD"] = File.Exists(Jemalloc)
                ? Jemalloc
                : throw new FileNotFoundException($"Slip:PreloadJemalloc is set but {Jemalloc} is missing: apt-get install libjemalloc2.", Jemalloc);
        }

        if (device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            start.Environment["CUDA_VISIBLE_DEVICES"] = device["cuda:".Length..];
        }

        foreach (var (key, value) in options.TrainerEnvironment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var wrapper = new TrainerProcess(process);
        process.ErrorDataReceived += (_, e) => wrapper.KeepStderr(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start the trainer '{trainer}'.");
        }

        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>The device as the child sees it: its only visible GPU is cuda:0.</summary>
    public static string ChildDevice(string device) => device.StartsWith("cuda", StringComparison.Ordinal) ? "cuda:0" : "cpu";

    /// <summary>
    /// Removes the host's secrets from a child's environment (inherited whole by default): the database connection and
    /// password, the first admin's password, and anything named like a password, secret, token or API key. The trainer
    /// needs none of them; <see cref="SlipOptions.TrainerEnvironment"/> is added after, for what an operator does pass.
    /// </summary>
    public static void ScrubSecrets(ProcessStartInfo start)
    {
        string[] prefixes = ["ConnectionStrings__", "ConnectionStrings:", "Storage__", "Storage:", "Slip__Auth__", "Slip:Auth:"];
        string[] words = ["PASSWORD", "SECRET", "TOKEN", "API_KEY", "APIKEY"];
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (prefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) || words.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(name);
            }
        }
    }

    /// <summary>Everything the child writes to stdout, once it closes (the device check's one JSON report).</summary>
    public Task<string> ReadOutputAsync(CancellationToken cancellationToken) => process.StandardOutput.ReadToEndAsync(cancellationToken);

    /// <summary>The trainer's events, in order, until its stdout closes.</summary>
    public async IAsyncEnumerable<TrainerEvent> EventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (TrainerEvent.TryParse(line) is { } e)
            {
                yield return e;
            }
        }
    }

    /// <summary>Asks the trainer to stop after its current step; kills it (and its children) if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        try
        {
            await process.StandardInput.WriteLineAsync("cancel");
            await process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // The trainer is already going away.
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>
    /// Polls <paramref name="cancelRequested"/> until the process exits and stops it (<see cref="StopAsync"/>) when it
    /// says so, or when <paramref name="stop"/> fires while the process still runs (a Hangfire delete or shutdown).
    /// </summary>
    public async Task StopWhenAsync(Func<Task<bool>> cancelRequested, TimeSpan grace, CancellationToken stop)
    {
        try
        {
            while (!HasExited)
            {
                await Task.Delay(CancelPoll, stop);
                if (await cancelRequested())
                {
                    await StopAsync(grace);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Either the process finished (the caller stopped watching) or the job's token fired: stop the process.
            if (!HasExited)
            {
                await StopAsync(grace);
            }
        }
    }

    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    /// <summary>How the process ended, with its last stderr line: the reason shown when it died without saying why.</summary>
    public string DescribeExit()
    {
        var code = ExitCode;
        var how = code > 128 ? $"was killed by signal {code - 128}" : $"exited with code {code}";
        var lastLine = StderrTail.Split('\n').LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
        return $"The trainer process {how} before finishing." + (lastLine is null ? "" : $" Its last message: {lastLine}");
    }

    /// <summary>The last lines the trainer wrote to stderr.</summary>
    public string StderrTail
    {
        get
        {
            lock (tailGate)
            {
                return string.Join('\n', stderrTail);
            }
        }
    }

    private void KeepStderr(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (tailGate)
        {
            stderrTail.Enqueue(line);
            while (stderrTail.Count > 20)
            {
                stderrTail.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static string ResolveTrainer(SlipOptions options)
    {
        var path = string.IsNullOrWhiteSpace(options.TrainerPath)
            ? Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll")
            : Path.GetFullPath(options.TrainerPath);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The trainer was not found at '{path}'. Set Slip:TrainerPath to Slip.Training.dll.", path);
    }
}
