using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class SweepApiTests
{
    private static object Sweep(object grid, int[]? seeds = null, bool confirm = false, string name = "api-sweep") => new
    {
        name,
        @base = new { model = "Micro", data = new { dataset = "shapes-mini" }, optim = new { epochs = 1, batchSize = 32 }, logEvery = 2 },
        grid,
        seeds = seeds ?? [0, 1],
        confirm,
    };

    [Fact]
    public async Task ASweepPostedToTheApiIsTrainedAndReadBackWithItsRunsAndEachArmsBestConfig()
    {
        await using var app = new SlipAppFactory(workers: true);
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/sweeps", Sweep(new Dictionary<string, object[]> { ["objective"] = ["clip", "slip"] }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal($"/api/sweeps/{id}", response.Headers.Location?.OriginalString);
        await using (var db = await app.DbAsync())
        {
            var runs = await db.Runs.Where(r => r.SweepId == id).OrderBy(r => r.SweepIndex).ToListAsync();
            Assert.Equal(4, runs.Count);
            Assert.All(runs, r => Assert.Equal($",sweep:{id},", r.Tags));
            Assert.Equal(["objective=Clip", "objective=Clip", "objective=Slip", "objective=Slip"], runs.Select(r => r.SweepArm));
            Assert.All(runs, r => Assert.True(RunConfig.FromJson(r.ConfigJson).Eval.Validate, "selecting on validation turns it on"));
            foreach (var run in runs)
            {
                Assert.Equal(RunStatus.Succeeded, (await app.WaitForRunAsync(run.Id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(120))).Status);
            }
        }

        var sweep = await client.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
        Assert.Equal("api-sweep", sweep.GetProperty("name").GetString());
        Assert.Equal("val_zeroshot_acc1", sweep.GetProperty("selectMetric").GetString());
        Assert.Equal(4, sweep.GetProperty("progress").GetProperty("succeeded").GetInt32());
        var listed = sweep.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([0, 1, 0, 1], listed.Select(r => r.GetProperty("seed").GetInt32()));
        Assert.All(listed, r =>
        {
            Assert.Equal("Succeeded", r.GetProperty("status").GetString());
            Assert.InRange(r.GetProperty("selection").GetDouble(), 0, 100);
            Assert.True(r.GetProperty("test").TryGetProperty("zeroshot_acc1", out _));
            Assert.Equal(JsonValueKind.String, r.GetProperty("values").GetProperty("objective").ValueKind);
        });
        var arms = sweep.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(["objective=Clip", "objective=Slip"], arms.Select(a => a.GetProperty("arm").GetString()));
        Assert.All(arms, a =>
        {
            var best = a.GetProperty("best");
            Assert.Equal(2, best.GetProperty("seeds").GetInt32());
            Assert.Equal(2, best.GetProperty("selection").GetProperty("count").GetInt32());
            Assert.Equal(2, best.GetProperty("test").GetProperty("zeroshot_acc1").GetProperty("count").GetInt32());
        });

        var list = await client.GetFromJsonAsync<JsonElement>("/api/sweeps");
        Assert.Equal("Succeeded", list[0].GetProperty("progress").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("{}", "grid", "The grid is empty")]
    [InlineData("{\"optim.learnRate\": [0.1]}", "grid.optim.learnRate", "Did you mean 'optim.learningRate'?")]
    [InlineData("{\"optim.epochs\": [1, 0]}", "grid.optim.epochs", "between 1 and 10000")]
    [InlineData("{\"optim.learningRate\": []}", "grid.optim.learningRate", "has no values to try")]
    public async Task ABadSweepIsRefusedOnItsFieldAndQueuesNothing(string grid, string field, string message)
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var body = JsonSerializer.Serialize(Sweep(0)).Replace("\"grid\":0", $"\"grid\":{grid}", StringComparison.Ordinal);

        var response = await client.PostAsync("/api/sweeps", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains(message, errors.GetProperty(field)[0].GetString());
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Sweeps.CountAsync());
        Assert.Equal(0, await db.Runs.CountAsync());
    }

    [Fact]
    public async Task MoreThanFiveHundredRunsNeedConfirmationAndMalformedSweepsSayWhy()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var big = Sweep(new Dictionary<string, object[]> { ["optim.learningRate"] = [.. Enumerable.Range(1, 251).Select(i => (object)(i * 1e-5))] });

        var response = await client.PostAsJsonAsync("/api/sweeps", big);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("502 runs, more than 500: confirm it", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("runs")[0].GetString());
        var malformed = await client.PostAsync("/api/sweeps", new StringContent("{\"name\": \"x\", \"grid\": {\"optim.epochs\": 3}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not valid JSON for a sweep", await malformed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/sweeps/424242")).StatusCode);
        var withReport = await client.PostAsync("/api/sweeps", new StringContent("{\"name\": \"r\", \"grid\": {\"optim.epochs\": [1]}, \"report\": {\"tasks\": [\"linear_probe\"]}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, withReport.StatusCode);
        Assert.Contains("set base.eval.tasksAtEnd", (await withReport.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("report")[0].GetString());
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Runs.CountAsync());
    }

    [Fact]
    public async Task CancelAndResumeActOnEveryRunOfTheSweep()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/sweeps", Sweep(new Dictionary<string, object[]> { ["optim.learningRate"] = [1e-3, 3e-3] }, seeds: [0]));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var cancel = await client.PostAsync($"/api/sweeps/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(2, (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cancelled").GetInt32());
        await using (var db = await app.DbAsync())
        {
            Assert.All(await db.Runs.Where(r => r.SweepId == id).ToListAsync(), r => Assert.Equal(RunStatus.Cancelled, r.Status));
        }

        var resume = await client.PostAsync($"/api/sweeps/{id}/resume", null);

        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        Assert.Equal(2, (await resume.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resumed").GetInt32());
        await using (var db = await app.DbAsync())
        {
            Assert.All(await db.Runs.Where(r => r.SweepId == id).ToListAsync(), r => Assert.Equal(RunStatus.Queued, r.Status));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/sweeps/424242/cancel", null)).StatusCode);
    }
}
