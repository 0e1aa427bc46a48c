using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slip.Data;

namespace Slip.Web.Tests;

/// <summary>The chart data API: bucketed and smoothed series, metric summaries, and clear refusals.</summary>
[Collection("hosts")]
public sealed class SeriesApiTests
{
    [Fact]
    public async Task SeriesAreBucketedSmoothedAndSummarised()
    {
        await using var app = new SlipAppFactory();
        long runId;
        await using (var db = await app.DbAsync())
        {
            var run = new Run { Name = "series", Objective = "CLIP", Model = "Tiny", Dataset = "shapes", ConfigJson = SlipAppFactory.TinyRun().ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            await MetricIngest.WriteAsync(db, runId, Enumerable.Range(0, 5000).Select(i => new MetricRow("loss", i, i / 100.0, 5000 - i, DateTime.UtcNow)).Append(new MetricRow("clip_acc", 10, 0.1, 12.5, DateTime.UtcNow)).ToList());
        }

        using var client = app.CreateClient();
        var whole = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/series/loss?buckets=100");
        Assert.False(whole.GetProperty("raw").GetBoolean());
        var points = whole.GetProperty("points").EnumerateArray().ToList();
        Assert.InRange(points.Count, 90, 100);
        Assert.Equal(5000, points.Sum(p => p.GetProperty("count").GetInt64()));
        Assert.Equal(5000, points[0].GetProperty("max").GetDouble());
        Assert.Equal(1, points[^1].GetProperty("last").GetDouble());

        var zoomed = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/series/loss?from=100&to=149");
        Assert.True(zoomed.GetProperty("raw").GetBoolean());
        Assert.Equal(50, zoomed.GetProperty("points").GetArrayLength());

        var smoothed = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/series/loss?from=0&to=1&smoothing=mean:2");
        Assert.Equal([5000.0, 4999.5], smoothed.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("last").GetDouble()));

        var summaries = (await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/summaries")).EnumerateArray().ToList();
        Assert.Equal(["clip_acc", "loss"], summaries.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal((1.0, 4999L), (summaries[1].GetProperty("best").GetDouble(), summaries[1].GetProperty("bestStep").GetInt64()));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{runId}/series/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/999/series/loss")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/999/summaries")).StatusCode);
        var badSmoothing = await client.GetAsync($"/api/runs/{runId}/series/loss?smoothing=gaussian:2");
        Assert.Equal(HttpStatusCode.BadRequest, badSmoothing.StatusCode);
        Assert.Contains("Unknown smoothing 'gaussian:2'", await badSmoothing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/runs/{runId}/series/loss?from=9&to=2")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/runs/{runId}/series/loss?buckets=5")).StatusCode);
    }
}
