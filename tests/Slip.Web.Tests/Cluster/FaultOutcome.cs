using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Slip.Data;

namespace Slip.Web.Tests.Cluster;

/// <summary>
/// What became of one run a fault was injected into, and every way it broke the cluster's promises: the run ended
/// (Succeeded, or Failed with its reason) and was not left stuck; at most one trainer ran it at any instant (from
/// /proc); every point stored before the fault (acknowledged) is still there, none twice; a run that succeeded has
/// every point from where its last attempt resumed; its attempts are numbered without a gap, each ended, the last
/// as the run did and every earlier one Failed with a reason.
/// </summary>
public sealed record FaultOutcome(
    string Fault,
    long RunId,
    RunStatus Status,
    string? Error,
    IReadOnlyList<RunAttempt> Attempts,
    int MostTrainers,
    int Acknowledged,
    int AcknowledgedLost,
    int Duplicated,
    int LossPoints,
    int ExpectedLossPoints,
    TimeSpan Took,
    List<string> Violations)
{
    /// <summary>What the fault's own measurements found (how fast an orphan died, say), for the table.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Waits up to <paramref name="timeout"/> for the run to end and its trainers to be gone, then checks it.</summary>
    public static async Task<FaultOutcome> SettleAsync(ClusterHarness cluster, string fault, long runId, IReadOnlyCollection<(string Name, long Step)> acknowledged, Stopwatch took, TimeSpan timeout)
    {
        // A run failed for a lost lease is queued again a moment later (the monitor fails it, then resumes it): a
        // failure counts once it has held for two leases.
        var deadline = Stopwatch.StartNew();
        Run run;
        while (true)
        {
            run = await cluster.Dashboard.WaitForRunAsync(runId, r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled, timeout - deadline.Elapsed);
            if (run.Status != RunStatus.Failed || deadline.Elapsed > timeout)
            {
                break;
            }

            var held = await cluster.Dashboard.WaitForRunAsync(runId, r => r.Status != RunStatus.Failed, TimeSpan.FromSeconds(2 * ClusterHarness.LeaseSeconds));
            if (held.Status == RunStatus.Failed)
            {
                break;
            }
        }

        var violations = new List<string>();
        if (run.Status is RunStatus.Queued or RunStatus.Running)
        {
            violations.Add($"stuck: still {run.Status} after {timeout.TotalSeconds:F0} s");
        }

        var clock = Stopwatch.StartNew();
        while (TrainerCensus.Of(cluster.FolderOf(runId)).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        if (TrainerCensus.Of(cluster.FolderOf(runId)).Count > 0)
        {
            violations.Add("a trainer still runs after the run ended");
        }

        if (run.Status == RunStatus.Failed && string.IsNullOrWhiteSpace(run.Error))
        {
            violations.Add("failed without a reason");
        }

        var points = await cluster.PointsAsync(runId);
        var stored = points.ToHashSet();
        var lost = acknowledged.Count(p => !stored.Contains(p));
        var duplicated = points.Count - stored.Count;
        var attempts = await cluster.Dashboard.ReadAsync(db => db.RunAttempts.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.Number).ToListAsync());
        var most = cluster.Census.MostAtOnce(cluster.FolderOf(runId));
        if (most > 1)
        {
            violations.Add($"{most} trainers ran it at once");
        }

        if (lost > 0)
        {
            violations.Add($"{lost} acknowledged points lost");
        }

        if (duplicated > 0)
        {
            violations.Add($"{duplicated} points stored twice");
        }

        violations.AddRange(AttemptProblems(run, attempts));
        var logEvery = Math.Max(1, Slip.Training.RunConfig.FromJson(run.ConfigJson).LogEvery);
        var expected = Enumerable.Range(1, (int)(run.TotalSteps / logEvery)).Select(k => k * (long)logEvery).ToList();
        var loss = stored.Where(p => p.Name == "loss").Select(p => p.Step).Order().ToList();
        if (run.Status == RunStatus.Succeeded && attempts.Count > 0)
        {
            var from = attempts[^1].FromStep;
            if (!expected.Where(s => s > from).SequenceEqual(loss.Where(s => s > from)))
            {
                violations.Add($"loss points after step {from}, where the last attempt resumed, are not all there ({loss.Count(s => s > from)} of {expected.Count(s => s > from)})");
            }
        }

        return new FaultOutcome(fault, runId, run.Status, run.Error, attempts, most, acknowledged.Count, lost, duplicated, loss.Count, expected.Count, took.Elapsed, violations);
    }

    private static IEnumerable<string> AttemptProblems(Run run, List<RunAttempt> attempts)
    {
        if (!attempts.Select(a => a.Number).SequenceEqual(Enumerable.Range(1, run.Attempt)))
        {
            yield return $"attempts [{string.Join(", ", attempts.Select(a => a.Number))}] for a run on attempt {run.Attempt}";
        }

        if (attempts.Count == 0)
        {
            yield break;
        }

        if (attempts[^1].Status != run.Status)
        {
            yield return $"the last attempt ended {attempts[^1].Status}, the run {run.Status}";
        }

        foreach (var earlier in attempts.SkipLast(1).Where(a => a.Status != RunStatus.Failed || string.IsNullOrWhiteSpace(a.Error) || a.FinishedAt is null))
        {
            yield return $"attempt {earlier.Number} ended {earlier.Status} without its reason or end time";
        }
    }

    /// <summary>One line of the fault table: the fault, then what came of the run.</summary>
    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Fault} | {Status} | {string.Join(" → ", Attempts.Select(a => $"{a.Status} from {a.FromStep}"))} | {MostTrainers} | {Acknowledged} | {AcknowledgedLost} | {Duplicated} | {LossPoints} of {ExpectedLossPoints} | {Took.TotalSeconds:F0} s | {string.Join("; ", Notes)} | {(Violations.Count == 0 ? "none" : string.Join("; ", Violations))} |");

    public const string Header = "| fault | run | attempts | most trainers at once | points acknowledged before | lost | duplicated | loss points | took | measured | broken promises |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";
}
