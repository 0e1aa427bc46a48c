using System.Net;
using System.Net.Sockets;

namespace Slip.Web.Tests;

/// <summary>
/// A loopback TCP relay in front of PostgreSQL that can simulate a server restart as clients see it: every open
/// connection is cut, and new ones are refused until the outage ends.
/// </summary>
public sealed class TcpOutageProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly List<TcpClient> open = [];
    private readonly Lock gate = new();
    private TcpListener listener;
    private Task accepting;

    public TcpOutageProxy(string host, int port)
    {
        target = new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync(listener);
    }

    public int Port { get; }

    /// <summary>Cuts every connection and refuses new ones for <paramref name="duration"/>.</summary>
    public async Task OutageAsync(TimeSpan duration)
    {
        listener.Stop();
        await accepting;
        lock (gate)
        {
            foreach (var client in open)
            {
                client.Client?.Close(0);   // a reset, as when the server process goes away
            }

            open.Clear();
        }

        await Task.Delay(duration);
        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Start();
        accepting = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener current)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await current.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(target, stop.Token);
            lock (gate)
            {
                open.Add(client);
                open.Add(server);
            }

            var a = client.GetStream().CopyToAsync(server.GetStream(), stop.Token);
            var b = server.GetStream().CopyToAsync(client.GetStream(), stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            client.Close();
            server.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        lock (gate)
        {
            open.ForEach(c => c.Close());
        }

        stop.Dispose();
    }
}
