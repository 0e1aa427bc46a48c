using System.Diagnostics;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of the cluster tests' own (Debian's, from /usr/lib/postgresql), in a temporary folder on
/// 127.0.0.1, so that a test can restart it without disturbing the server every other test shares. Run as the postgres
/// user when the tests run as root, as scripts/throwaway-postgres.sh does. Commits are synchronous: what the server
/// acknowledged is still there after an immediate (crash) restart.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string bin;
    private readonly string data;
    private readonly bool asPostgres;

    private PostgresServer(string bin, string data, bool asPostgres, int port)
    {
        this.bin = bin;
        this.data = data;
        this.asPostgres = asPostgres;
        Port = port;
    }

    public int Port { get; }

    public string Connection => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=slip_cluster";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderBy(b => b, StringComparer.Ordinal).LastOrDefault()
            : null;
        Assert.True(bin is not null, "PostgreSQL is not installed (apt-get install postgresql; ./test.sh does).");
        var data = Directory.CreateTempSubdirectory("slip-cluster-pg-").FullName;
        var asPostgres = Environment.UserName == "root";
        if (asPostgres)
        {
            await RunAsync("chown", ["postgres:postgres", data]);
        }

        var server = new PostgresServer(bin, data, asPostgres, LoopbackPort.Free());
        await server.PgAsync("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
        await server.CtlAsync("start");
        return server;
    }

    /// <summary>Restarts the server as a crash would: an immediate stop (no checkpoint, every connection dropped), then a start that recovers from the log.</summary>
    public async Task RestartAsync()
    {
        await PgAsync("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop");
        await CtlAsync("start");
    }

    private Task CtlAsync(string verb) =>
        PgAsync("pg_ctl", "-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {data} -c fsync=off -c max_connections=200", verb);

    private Task PgAsync(string tool, params string[] args) =>
        asPostgres ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. args]) : RunAsync(Path.Combine(bin, tool), args);

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await output}{await error}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
