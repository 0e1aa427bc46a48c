namespace Slip.Data;

/// <summary>
/// The device self-check a worker ran when it started (the trainer's <c>doctor</c> for its device): one row per
/// worker (host/device), replaced at each start, so the Queue view can say whether each device trains.
/// </summary>
public class WorkerCheck
{
    public long Id { get; set; }

    /// <summary>The worker's name, host/device (unique).</summary>
    public string Worker { get; set; } = "";

    public string Host { get; set; } = "";

    public string Device { get; set; } = "";

    public DateTime CheckedAt { get; set; }

    public bool Passed { get; set; }

    /// <summary>One line: what was found, or why it failed.</summary>
    public string Summary { get; set; } = "";

    /// <summary>The doctor's whole report (libtorch, CUDA, the losses on the CPU and the device), JSON; "{}" when it gave none.</summary>
    public string ReportJson { get; set; } = "{}";
}
