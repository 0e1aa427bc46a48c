using System.Net;
using System.Net.Sockets;

namespace Slip.Web.Tests.Cluster;

internal static class LoopbackPort
{
    /// <summary>A port on 127.0.0.1 that nothing listened on a moment ago.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
