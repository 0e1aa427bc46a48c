using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Slip.Data;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class WorkerSelfCheckTests
{
    [Fact]
    public async Task EachWorkerChecksItsDeviceWithTheTrainerAndTheQueueShowsTheResult()
    {
        // A CPU worker, and a GPU worker on a host whose libtorch has no CUDA: the check runs the real trainer's doctor
        // on each device as a run's trainer would be started, and says which trains and why the other does not.
        var settings = new Dictionary<string, string?>
        {
            ["Slip:Workers:SelfCheck"] = "true",
            ["Slip:Workers:Devices:0"] = "cpu",
            ["Slip:Workers:Devices:1"] = "cuda:0",
        };
        await using var app = new SlipAppFactory(workers: true, extra: settings);
        _ = app.Server;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        List<WorkerCheck> checks;
        do
        {
            await Task.Delay(250);
            await using var db = await app.DbAsync();
            checks = await db.WorkerChecks.AsNoTracking().OrderBy(c => c.Device).ToListAsync();
        }
        while (checks.Count < 2 && DateTime.UtcNow < deadline);

        Assert.Equal(["cpu", "cuda:0"], checks.Select(c => c.Device));
        var cpu = checks[0];
        Assert.True(cpu.Passed, cpu.Summary);
        Assert.Equal(WorkerRegistry.ServerName("cpu"), cpu.Worker);
        Assert.Contains("cpu trains: 3 Micro SLIP steps match the CPU's losses", cpu.Summary, StringComparison.Ordinal);
        Assert.Contains("\"cpuLosses\"", cpu.ReportJson, StringComparison.Ordinal);
        if (!TorchSharp.torch.cuda.is_available())
        {
            var gpu = checks[1];
            Assert.False(gpu.Passed);
            Assert.Contains("sees no CUDA device", gpu.Summary, StringComparison.Ordinal);
        }

        var workers = (await app.Services.GetRequiredService<JobQueue>().SnapshotAsync()).Workers;
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.NotNull(w.Check));
        Assert.Equal(workers.Select(w => w.Name.Contains("/cpu:", StringComparison.Ordinal)), workers.Select(w => w.Check!.Passed));
    }
}
