using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>Checkpoint retention (keep the latest k and every n-th) as a run trains, and downloads by alias.</summary>
[Collection("hosts")]
public sealed class CheckpointRetentionTests
{
    [Fact]
    public async Task RetentionDeletesWhatThePolicyDoesNotKeepAndAliasesFindTheRest()
    {
        await using var app = new SlipAppFactory(workers: true);
        using var client = app.CreateClient();
        var config = SlipAppFactory.TinyRun(epochs: 5) with { Checkpoints = SlipAppFactory.TinyRun(epochs: 5).Checkpoints with { KeepLast = 1, KeepEvery = 2 } };
        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("retained", JsonSerializer.SerializeToElement(config, RunConfig.JsonOptions)), RunConfig.JsonOptions);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal(RunStatus.Succeeded, (await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(120))).Status);

        await using var db = await app.DbAsync();
        var kept = await db.Checkpoints.Where(c => c.RunId == id).OrderBy(c => c.Epoch).ToListAsync();
        Assert.Equal([2, 4, 5], kept.Select(c => c.Epoch));   // every 2nd, and the latest
        var folder = Path.GetDirectoryName(kept[0].FilePath)!;
        Assert.Equal(["epoch_002.pt", "epoch_004.pt", "epoch_005.pt"], Directory.GetFiles(folder, "epoch_*.pt").Select(Path.GetFileName).Order());

        using var noRedirect = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        async Task<string?> Target(string alias) => (await noRedirect.GetAsync($"/api/runs/{id}/checkpoints/{alias}/download")).Content.Headers.ContentLocation?.ToString();
        Assert.Equal($"/api/checkpoints/{kept[2].Id}/download", await Target("latest"));
        Assert.Equal($"/api/checkpoints/{kept[0].Id}/download", await Target("epoch-2"));
        var best = await Target("best:loss");
        Assert.Contains(best, kept.Select(c => $"/api/checkpoints/{c.Id}/download"));
        var gone = await noRedirect.GetAsync($"/api/runs/{id}/checkpoints/epoch-1/download");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("Aliases: latest, epoch-N, best:METRIC", await gone.Content.ReadAsStringAsync());
        var downloaded = await client.GetByteArrayAsync($"/api/runs/{id}/checkpoints/latest/download");
        Assert.Equal(kept[2].Bytes, downloaded.LongLength);
    }
}
