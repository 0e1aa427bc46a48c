namespace Slip.Data;

/// <summary>One training run: its immutable config, where it stands, and the lease that keeps it to one trainer.</summary>
public class Run : ILeasedWork
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The objective as users name it: CLIP, SimCLR, SLIP, or with another SSL method "SLIP (BYOL)", "MoCo v3", ...</summary>
    public string Objective { get; set; } = "";

    public string Model { get; set; } = "";

    /// <summary>Copied from the config so the runs table can show and filter it without parsing JSON.</summary>
    public string Dataset { get; set; } = "";

    /// <summary>Labels for finding and grouping runs, stored as ",tag1,tag2," (lower case) so one tag matches exactly.</summary>
    public string Tags { get; set; } = "";

    /// <summary>Free text the user keeps with the run.</summary>
    public string Notes { get; set; } = "";

    /// <summary>The run this one was cloned from, if any.</summary>
    public long? ClonedFromId { get; set; }

    /// <summary>The full run config as JSON; written at launch and never edited.</summary>
    public string ConfigJson { get; set; } = "{}";

    public RunStatus Status { get; set; } = RunStatus.Queued;

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? Error { get; set; }

    /// <summary>host:device of the worker that ran it.</summary>
    public string? Worker { get; set; }

    /// <summary>When its current job was put on the queue: the queue's order (moving a run to the top re-queues it first).</summary>
    public DateTime? QueuedAt { get; set; }

    /// <summary>The Hangfire job id.</summary>
    public string? JobId { get; set; }

    public long Step { get; set; }

    public long TotalSteps { get; set; }

    /// <summary>Fraction done, 0..1.</summary>
    public double Progress { get; set; }

    /// <summary>Who holds the run; a second delivery of the same job must not start a second trainer while the lease is live.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>The number of the current (or last) attempt: 0 until a worker first starts it, then 1, 2, ... per resume.</summary>
    public int Attempt { get; set; }

    /// <summary>The key (recorder:sequence) of the last batch of points a worker's recorder committed, written in the
    /// batch's transaction: a batch retried after its commit's reply was lost finds its own key here and is not stored twice.</summary>
    public string? RecordedBatch { get; set; }

    /// <summary>The sweep that planned this run, if any.</summary>
    public long? SweepId { get; set; }

    /// <summary>The run's place in its sweep's plan (0, 1, ...).</summary>
    public int? SweepIndex { get; set; }

    /// <summary>The sweep arm the run belongs to, e.g. <c>objective=Slip</c>.</summary>
    public string? SweepArm { get; set; }

    /// <summary>The combination of grid values the run tries, seed left out (its seeds share it), e.g. <c>optim.learningRate=3e-3</c>.</summary>
    public string? SweepPoint { get; set; }

    public List<Checkpoint> Checkpoints { get; set; } = [];

    public List<Evaluation> Evaluations { get; set; } = [];
}
