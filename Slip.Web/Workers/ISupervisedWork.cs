using Slip.Data;

namespace Slip.Web.Workers;

/// <summary>The lease a worker takes with its claim: who holds it, and until when unless it is renewed.</summary>
public sealed record LeaseClaim(string Worker, DateTime Now, DateTime ExpiresAt);

/// <summary>What to start (the trainer CLI's verb and arguments, and the folder it runs in), or why nothing can be.</summary>
public sealed record ChildCommand(IReadOnlyList<string> Arguments, string WorkingDirectory, string? Problem = null)
{
    /// <summary>Nothing is started; the work fails with <paramref name="problem"/>.</summary>
    public static ChildCommand Refused(string problem) => new([], "", problem);
}

/// <summary>
/// How supervised work ended. <see cref="Interrupted"/>: its worker shut down (the status is Failed with that reason);
/// <see cref="LeaseLost"/>: its row was taken away, so this worker writes nothing more to it.
/// </summary>
public sealed record SupervisedOutcome(RunStatus Status, string? Error, bool Interrupted = false, bool LeaseLost = false);

/// <summary>
/// What a job supplies to <see cref="ChildProcessSupervisor"/>: the row it works on and how it claims and ends it, the
/// child to start, how the child's events are recorded and what follows the outcome. One instance per delivery of a
/// job; it may keep what it learns on the way (the run's config, the results file).
/// </summary>
/// <typeparam name="TRow">The leased row: <see cref="Run"/> or <see cref="Evaluation"/>.</typeparam>
public interface ISupervisedWork<TRow> where TRow : class, ILeasedWork
{
    /// <summary>The row's id.</summary>
    long Id { get; }

    /// <summary>"Run 12", "Evaluation 7": how log lines name it.</summary>
    string Name { get; }

    /// <summary>What was going on, for the reason given when the worker shuts down ("this run was training").</summary>
    string WhileRunning { get; }

    /// <summary>
    /// Moves the row from Queued (not cancel-requested, lease free) to Running under <paramref name="lease"/> in one
    /// atomic update, with whatever the job records at a start. False if it is not queued or another delivery has it.
    /// Retried as a whole through a store outage.
    /// </summary>
    Task<bool> ClaimAsync(SlipDbContext db, LeaseClaim lease);

    /// <summary>After the claim: the child to start, or <see cref="ChildCommand.Refused"/> with the reason.</summary>
    Task<ChildCommand> PrepareAsync();

    /// <summary>The recorder of the child's events, storing them only while <paramref name="worker"/> holds the lease;
    /// it stops retrying the store when <paramref name="giveUp"/> fires (the host is shutting down).</summary>
    EventRecorder StartRecorder(string worker, CancellationToken giveUp);

    /// <summary>What a child that reported completion and exited with 0 achieved: Succeeded, or Failed where its output is wanting.</summary>
    Task<SupervisedOutcome> CompletedAsync();

    /// <summary>
    /// Writes the outcome and frees the lease: only while <paramref name="leaseOwner"/> holds it (any holder when
    /// null). Returns the rows written (0: the lease is someone else's). Retried as a whole through a store outage.
    /// </summary>
    Task<int> WriteOutcomeAsync(SlipDbContext db, SupervisedOutcome outcome, string? leaseOwner);

    /// <summary>Tells pages that the status changed.</summary>
    void Publish(RunStatus status, string? error);

    /// <summary>What follows a written outcome: a run's final evaluation, the resume of an interrupted run.</summary>
    Task AfterOutcomeAsync(SupervisedOutcome outcome);
}
