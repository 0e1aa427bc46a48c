namespace Slip.Data;

/// <summary>
/// One attempt at training a run: the first start, and each resume after a failure, a cancel or a lost worker. The
/// run keeps its id across attempts; each attempt records where it ran, from which step and how it ended.
/// </summary>
public class RunAttempt
{
    public long Id { get; set; }

    public long RunId { get; set; }

    /// <summary>1 for the first start, then 2, 3, ... per resume.</summary>
    public int Number { get; set; }

    /// <summary>The step it continued from (0 for a fresh start).</summary>
    public long FromStep { get; set; }

    /// <summary>host/device of the worker that ran it.</summary>
    public string? Worker { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>Running while it trains, then how it ended.</summary>
    public RunStatus Status { get; set; } = RunStatus.Running;

    public string? Error { get; set; }

    /// <summary>Metric points this attempt logged after the step the next attempt resumed from, moved aside at that resume.</summary>
    public long SupersededPoints { get; set; }
}
