namespace Slip.Data;

/// <summary>
/// A row a worker works on through a supervised child process, under a lease: a run (training) or an evaluation. The
/// worker that claims it sets <see cref="LeaseOwner"/> and <see cref="LeaseExpiresAt"/> with its status, renews the
/// expiry while the child runs, and writes the outcome only while it still owns the lease.
/// </summary>
public interface ILeasedWork
{
    long Id { get; }

    RunStatus Status { get; }

    string? Error { get; }

    /// <summary>host/device of the worker that ran it.</summary>
    string? Worker { get; }

    /// <summary>The worker that holds it now; null when no one does.</summary>
    string? LeaseOwner { get; }

    /// <summary>When the lease ends unless its owner renews it.</summary>
    DateTime? LeaseExpiresAt { get; }

    bool CancelRequested { get; }
}
