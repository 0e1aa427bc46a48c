namespace Slip.Data;

/// <summary>
/// An evaluation of one of a run's checkpoints (zero-shot, linear probe, fine-tuning, retrieval), queued and run like
/// training (under a lease, by a supervised child process): what was asked, where it stands and, once done, its results
/// in clip_benchmark's JSON shape.
/// </summary>
public class Evaluation : ILeasedWork
{
    public long Id { get; set; }

    public long RunId { get; set; }

    /// <summary>The evaluated checkpoint; null once that checkpoint's record is deleted (the results stay).</summary>
    public long? CheckpointId { get; set; }

    /// <summary>The checkpoint's epoch, kept for display after the checkpoint is gone.</summary>
    public int Epoch { get; set; }

    public string Dataset { get; set; } = "";

    /// <summary>The tasks, comma-separated, in clip_benchmark's names (plus finetune).</summary>
    public string Tasks { get; set; } = "";

    /// <summary>The full evaluation request as the evaluator reads it, JSON; written when queued and never edited.</summary>
    public string RequestJson { get; set; } = "{}";

    public RunStatus Status { get; set; } = RunStatus.Queued;

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? Error { get; set; }

    public string? Worker { get; set; }

    public string? JobId { get; set; }

    /// <summary>When its current job was put on the queue (the queue's order).</summary>
    public DateTime? QueuedAt { get; set; }

    /// <summary>Fraction done, 0..1.</summary>
    public double Progress { get; set; }

    /// <summary>What the evaluator is doing now ("linear probe epoch 12/90").</summary>
    public string? Phase { get; set; }

    /// <summary>The worker that holds the evaluation while its evaluator runs (see <see cref="ILeasedWork"/>); null when no one does.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>The results, a JSON array of {dataset, model, pretrained, task, metrics}, once it succeeded.</summary>
    public string? ResultsJson { get; set; }
}
