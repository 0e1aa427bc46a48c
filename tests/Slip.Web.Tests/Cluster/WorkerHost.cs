using System.Collections.Concurrent;
using System.Diagnostics;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// A worker host as its own OS process: the app as built (Slip.Web's output) with <c>Slip__Role=worker</c>, reaching
/// PostgreSQL through its own <see cref="TcpOutageProxy"/> (so it alone can be cut off), listening on a port of its
/// own (for /readyz). Its console output is kept.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly Process process;

    private WorkerHost(string name, Process process, TcpOutageProxy proxy, int port)
    {
        Name = name;
        this.process = process;
        Proxy = proxy;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Name { get; }

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>This host's way to the database: an outage here is a partition of this host alone.</summary>
    public TcpOutageProxy Proxy { get; }

    public string Url { get; }

    /// <summary>Every line the host wrote to its console.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The app as built, started as a worker host on <paramref name="server"/> with <paramref name="settings"/> (environment variables).</summary>
    public static WorkerHost Start(string name, PostgresServer server, IReadOnlyDictionary<string, string> settings)
    {
        var app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "Slip.Web", "bin", "Release", "net10.0", "linux-x64", "Slip.Web.dll"));
        Assert.True(File.Exists(app), $"{app} is missing: build the solution first (./test.sh does).");
        var proxy = new TcpOutageProxy("127.0.0.1", server.Port);
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(Slip.Training.DotnetHost.Path()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(app)! };
        start.ArgumentList.Add(app);
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        // A short connect timeout: a host cut off from the database notices within its heartbeat interval.
        start.Environment["ConnectionStrings__Slip"] = new Npgsql.NpgsqlConnectionStringBuilder(server.Connection) { Port = proxy.Port, Timeout = 2 }.ConnectionString;
        start.Environment["Slip__Role"] = "worker";
        start.Environment["urls"] = $"http://127.0.0.1:{port}";
        var process = Process.Start(start)!;
        var host = new WorkerHost(name, process, proxy, port);
        process.OutputDataReceived += (_, e) => host.Logs.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => host.Logs.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>SIGKILL to the host alone: its children are not signalled.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: false);
        process.WaitForExit();
    }

    public bool Logged(string text) => Logs.Any(l => l.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        await Proxy.DisposeAsync();
    }
}
