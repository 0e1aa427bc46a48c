namespace Slip.Data;

/// <summary>Lifecycle state of a training run; stored as its name, not its number.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
