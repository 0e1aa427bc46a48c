using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class ApiTests
{
    [Fact]
    public async Task LaunchedRunIsTrainedByTheQueueAndItsCheckpointDownloadsWithRanges()
    {
        await using var app = new SlipAppFactory(workers: true);
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("queued", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(), RunConfig.JsonOptions)), RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.StartsWith(Slip.Web.Workers.WorkerRegistry.ServerName("cpu"), run.Worker);

        await using var db = await app.DbAsync();
        var checkpoint = await db.Checkpoints.SingleAsync(c => c.RunId == id);
        var full = await client.GetAsync($"/api/checkpoints/{checkpoint.Id}/download");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(checkpoint.Bytes, full.Content.Headers.ContentLength);
        Assert.Equal(checkpoint.Bytes, (await full.Content.ReadAsByteArrayAsync()).LongLength);

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/checkpoints/{checkpoint.Id}/download");
        ranged.Headers.Range = new RangeHeaderValue(100, 199);
        var part = await client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        var expected = File.ReadAllBytes(checkpoint.FilePath)[100..200];
        Assert.Equal(expected, await part.Content.ReadAsByteArrayAsync());

        // One byte flipped on disk (same length): the download says the file is corrupted instead of serving it.
        var bytes = File.ReadAllBytes(checkpoint.FilePath);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(checkpoint.FilePath, bytes);
        var corrupted = await client.GetAsync($"/api/checkpoints/{checkpoint.Id}/download");
        Assert.Equal(HttpStatusCode.Conflict, corrupted.StatusCode);
        Assert.Contains("is corrupted on disk: its sha256 is", await corrupted.Content.ReadAsStringAsync());
        File.WriteAllBytes(checkpoint.FilePath, bytes[..^100]);
        var truncated = await client.GetAsync($"/api/checkpoints/{checkpoint.Id}/download");
        Assert.Equal(HttpStatusCode.Conflict, truncated.StatusCode);
        Assert.Contains("corrupted or truncated (", await truncated.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task InvalidConfigIsRefusedWithFieldErrorsAndQueuesNothing()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var bad = SlipAppFactory.TinyRun() with { Optim = SlipAppFactory.TinyRun().Optim with { Epochs = 0 }, Vision = SlipAppFactory.TinyRun().Vision with { ImageSize = 30 }, Data = SlipAppFactory.TinyRun().Data with { Dataset = "laion-5b" } };

        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest(null, JsonSerializer.SerializeToElement(bad, RunConfig.JsonOptions)), RunConfig.JsonOptions);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("between 1 and 10000", errors.GetProperty("optim.epochs")[0].GetString());
        Assert.Contains("not divisible by patch size", errors.GetProperty("vision.patchSize")[0].GetString());
        Assert.Contains("Unknown dataset 'laion-5b'", errors.GetProperty("data.dataset")[0].GetString());
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Runs.CountAsync());
    }

    [Fact]
    public async Task ADatasetPathOutsideTheDataRootsIsRefusedBeforeAnythingIsQueued()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var sneaky = SlipAppFactory.TinyRun() with { Data = SlipAppFactory.TinyRun().Data with { Dataset = "passwords", Source = new Slip.Training.Datasets.Sources.DatasetSource { Format = "csv", Path = "/etc/passwd" } } };

        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest(null, JsonSerializer.SerializeToElement(sneaky, RunConfig.JsonOptions)), RunConfig.JsonOptions);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("outside the data roots", errors.GetProperty("data.source")[0].GetString());
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Runs.CountAsync());
    }

    [Theory]
    [InlineData("{\"config\": {\"epochs\": \"many\"}}", "not valid JSON")]
    [InlineData("{\"config\": {\"model\": \"ViT-H/14\"}}", "Unknown model preset 'ViT-H/14'")]
    [InlineData("{\"name\": \"no config\"}", "A run config is required.")]
    public async Task MalformedConfigIsABadRequestWithTheReason(string body, string message)
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var response = await client.PostAsync("/api/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/checkpoints/424242/download", "Checkpoint 424242 does not exist.")]
    [InlineData("/api/runs/424242", "Run 424242 does not exist.")]
    [InlineData("/api/runs/424242/metrics/loss", "Run 424242 does not exist.")]
    public async Task UnknownIdsAreNotFoundWithAMessage(string url, string message)
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ACheckpointThatIsALinkOutOfTheRunsFolderIsNotServed()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        await using var db = await app.DbAsync();
        var run = new Run { Name = "x", Objective = "Slip", Model = "Tiny", Dataset = "shapes", ConfigJson = "{}", Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        var outside = Path.Combine(Directory.CreateTempSubdirectory("slip-outside-").FullName, "secret.pt");
        await File.WriteAllTextAsync(outside, "not for download");
        var folder = Directory.CreateDirectory(Path.Combine(app.DataDirectory, "runs", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "checkpoints")).FullName;
        var link = Path.Combine(folder, "epoch_001.pt");
        File.CreateSymbolicLink(link, outside);
        db.Checkpoints.Add(new Checkpoint { RunId = run.Id, Epoch = 1, FilePath = link, Bytes = new FileInfo(outside).Length, Sha256 = Checkpoints.Sha256Of(outside), CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        var id = await db.Checkpoints.Select(c => c.Id).SingleAsync();

        var response = await client.GetAsync($"/api/checkpoints/{id}/download");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("not for download", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CheckpointRowPointingOutsideTheRunsFolderIsNotServed()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        await using var db = await app.DbAsync();
        var run = new Run { Name = "x", Objective = "Slip", Model = "Tiny", Dataset = "shapes", ConfigJson = "{}", CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        db.Checkpoints.Add(new Checkpoint { RunId = run.Id, FilePath = "/etc/passwd", Sha256 = new string('0', 64), CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        var id = await db.Checkpoints.Select(c => c.Id).SingleAsync();

        var response = await client.GetAsync($"/api/checkpoints/{id}/download");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task CancellingAFinishedRunIsAConflict()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        await using var db = await app.DbAsync();
        var run = new Run { Name = "done", Objective = "Slip", Model = "Tiny", Dataset = "shapes", ConfigJson = "{}", Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();

        var response = await client.PostAsync($"/api/runs/{run.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already Succeeded", await response.Content.ReadAsStringAsync());
    }
}
