using Hangfire;
using Microsoft.EntityFrameworkCore;
using Slip.Web.Runs;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

/// <summary>The queue view's order and its move-to-top, checked against the order Hangfire will hand jobs to workers.</summary>
[Collection("hosts")]
public sealed class QueueTests
{
    [Fact]
    public async Task MovingARunToTheTopRequeuesItFirstAndTheOthersInTheirOrder()
    {
        await using var app = new SlipAppFactory();   // no workers: jobs stay queued
        var launcher = app.Get<RunLauncher>();
        var ids = new List<long>();
        foreach (var name in new[] { "first", "second", "third" })
        {
            ids.Add((await launcher.LaunchAsync(name, SlipAppFactory.TinyRun())).RunId!.Value);
        }

        var queue = app.Get<JobQueue>();
        Assert.Equal(ids, (await queue.SnapshotAsync()).Queued.Select(e => e.Id));
        await using (var db = await app.DbAsync())
        {
            Assert.Equal(ids.Select(id => db.Runs.Single(r => r.Id == id).JobId), HangfireOrder(app));
        }

        Assert.True(await queue.MoveToTopAsync(JobQueue.RunKind, ids[2]));
        var order = new[] { ids[2], ids[0], ids[1] };
        Assert.Equal(order, (await queue.SnapshotAsync()).Queued.Select(e => e.Id));
        await using (var db = await app.DbAsync())
        {
            // Workers take jobs in this order; the superseded jobs are gone from the queue.
            Assert.Equal(order.Select(id => db.Runs.AsNoTracking().Single(r => r.Id == id).JobId), HangfireOrder(app));
        }

        Assert.True(await launcher.CancelAsync(ids[0]));
        Assert.Equal([ids[2], ids[1]], (await queue.SnapshotAsync()).Queued.Select(e => e.Id));
        Assert.False(await queue.MoveToTopAsync(JobQueue.RunKind, ids[0]));   // cancelled: no longer queued
        Assert.False(await queue.MoveToTopAsync(JobQueue.RunKind, 999));
    }

    private static List<string> HangfireOrder(SlipAppFactory app) =>
        app.Get<JobStorage>().GetMonitoringApi().EnqueuedJobs("training", 0, 100).Where(j => j.Value.InEnqueuedState).Select(j => j.Key).ToList();
}
