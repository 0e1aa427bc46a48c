using Hangfire.Storage;

namespace Slip.Web.Workers;

/// <summary>What Hangfire's storage says about a job: its current state, and whether it will still run.</summary>
public static class HangfireJobs
{
    /// <summary>The job's current state name ("Enqueued", "Processing", "Deleted", ...), or null for no job or one the storage no longer has.</summary>
    public static string? StateOf(IMonitoringApi monitoring, string? jobId) =>
        jobId is null ? null : monitoring.JobDetails(jobId)?.History.FirstOrDefault()?.StateName;

    /// <summary>Whether the job is still waiting or running (so its run or evaluation needs no new job).</summary>
    public static bool IsPending(IMonitoringApi monitoring, string? jobId) =>
        StateOf(monitoring, jobId) is "Enqueued" or "Processing" or "Scheduled" or "Awaiting";
}
