namespace Slip.Web.Workers;

/// <summary>
/// The training workers of this host: one Hangfire server per device, named "host/device". A job finds the device
/// it runs on from the id of the server that picked it up.
/// </summary>
public sealed class WorkerRegistry(IEnumerable<string> devices)
{
    public static string HostName { get; } = Environment.MachineName.ToLowerInvariant();

    public IReadOnlyList<string> Devices { get; } = devices.ToList();

    public static string ServerName(string device) => $"{HostName}/{device}";

    /// <summary>The device whose server id starts with its server name; "cpu" when the job ran outside a worker (tests, CLI).</summary>
    public string DeviceOf(string? serverId) =>
        Devices.OrderByDescending(d => d.Length).FirstOrDefault(d => serverId?.StartsWith(ServerName(d), StringComparison.OrdinalIgnoreCase) == true) ?? "cpu";

    /// <summary>Whether a run's recorded worker was one of this host's.</summary>
    public static bool IsThisHost(string? worker) => worker?.StartsWith(HostName + "/", StringComparison.OrdinalIgnoreCase) == true;
}
