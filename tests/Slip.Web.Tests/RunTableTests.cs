using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>The runs table's API: filters, search, sorts (also by a metric's best), labels, CSV, clone with one change, config diff.</summary>
[Collection("hosts")]
public sealed class RunTableTests
{
    private static async Task<long> AddRunAsync(SlipAppFactory app, string name, RunConfig config, RunStatus status, string tags = "", string notes = "", params MetricRow[] metrics)
    {
        await using var db = await app.DbAsync();
        var run = new Run { Name = name, Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = status, Tags = tags, Notes = notes, CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        await MetricIngest.WriteAsync(db, run.Id, metrics);
        return run.Id;
    }

    [Fact]
    public async Task TheTableFiltersSearchesAndSortsOnTheServer()
    {
        await using var app = new SlipAppFactory();
        var now = DateTime.UtcNow;
        var clip = await AddRunAsync(app, "clip baseline", SlipAppFactory.TinyRun() with { Objective = Objective.Clip }, RunStatus.Succeeded, ",baseline,", "", new("loss", 1, 0, 3, now), new("loss", 2, 0, 2, now));
        var slip = await AddRunAsync(app, "slip ablation", SlipAppFactory.TinyRun(), RunStatus.Succeeded, ",ablation,ssl-scale,", "tried ssl scale 0.5", new("loss", 1, 0, 2.5, now), new("loss", 2, 0, 1.5, now));
        var queued = await AddRunAsync(app, "slip queued", SlipAppFactory.TinyRun(), RunStatus.Queued);
        using var client = app.CreateClient();
        async Task<long[]> Ids(string query) =>
            (await client.GetFromJsonAsync<JsonElement>("/api/runs?" + query)).GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();

        Assert.Equal([queued, slip, clip], await Ids(""));                         // newest first
        Assert.Equal([slip, clip], await Ids("status=Succeeded"));
        Assert.Equal([clip], await Ids("objective=CLIP"));
        Assert.Equal([slip], await Ids("tag=ablation"));
        Assert.Empty(await Ids("tag=ablat"));                                       // a tag matches whole
        Assert.Equal([slip], await Ids("search=SSL%20SCALE"));                     // notes, case-insensitive
        Assert.Equal([queued, slip], await Ids("search=slip"));
        Assert.Empty(await Ids("search=%25"));                                      // a LIKE wildcard is a literal
        Assert.Equal([clip, slip, queued], await Ids("sort=name&desc=false"));
        Assert.Equal([slip, clip, queued], await Ids("sort=metric:loss:best&desc=false"));   // runs without the metric last
        Assert.Equal([clip, slip, queued], await Ids("sort=metric:loss:last&desc=true"));

        var row = (await client.GetFromJsonAsync<JsonElement>("/api/runs?metrics=loss&tag=ablation")).GetProperty("runs")[0];
        Assert.Equal((1.5, 1.5, 2L), (row.GetProperty("metrics").GetProperty("loss").GetProperty("last").GetDouble(), row.GetProperty("metrics").GetProperty("loss").GetProperty("best").GetDouble(), row.GetProperty("metrics").GetProperty("loss").GetProperty("bestStep").GetInt64()));
        Assert.Equal(["ablation", "ssl-scale"], row.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var csv = await client.GetStringAsync("/api/runs.csv?metrics=loss&sort=name&desc=false");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("loss_last,loss_best,loss_best_step", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"{clip},clip baseline,CLIP,Micro,shapes-mini,Succeeded,baseline,", lines[1]);
        Assert.EndsWith(",2,2,2", lines[1]);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/runs?status=Exploded")).StatusCode);
        var badSort = await client.GetAsync("/api/runs?sort=metric:loss");
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);
        Assert.Contains("Unknown sort 'metric:loss'", await badSort.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/runs?sort=id;drop")).StatusCode);
    }

    [Fact]
    public async Task LabelsAreValidatedAndACloneChangesOneKnobAndRemembersItsParent()
    {
        await using var app = new SlipAppFactory();
        var parent = await AddRunAsync(app, "parent", SlipAppFactory.TinyRun() with { Data = SlipAppFactory.TinyRun().Data with { EpochSamples = 64 } }, RunStatus.Succeeded);
        using var client = app.CreateClient();

        var labelled = await client.PatchAsJsonAsync($"/api/runs/{parent}", new RunLabelsRequest(["Baseline", " seed-0 ", "baseline"], "first try"));
        Assert.Equal(HttpStatusCode.OK, labelled.StatusCode);
        await using (var db = await app.DbAsync())
        {
            Assert.Equal((",baseline,seed-0,", "first try"), await db.Runs.Where(r => r.Id == parent).Select(r => new ValueTuple<string, string>(r.Tags, r.Notes)).SingleAsync());
        }

        var badTag = await client.PatchAsJsonAsync($"/api/runs/{parent}", new RunLabelsRequest(["no spaces allowed"], null));
        Assert.Equal(HttpStatusCode.BadRequest, badTag.StatusCode);
        Assert.Contains("is not allowed", await badTag.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PatchAsJsonAsync("/api/runs/999", new RunLabelsRequest(null, "x"))).StatusCode);

        var cloned = await client.PostAsJsonAsync($"/api/runs/{parent}/clone", new CloneRequest("lr x2", JsonSerializer.SerializeToElement(new { learningRate = 6e-3 })));
        Assert.Equal(HttpStatusCode.Created, cloned.StatusCode);
        var child = (await cloned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var diff = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{parent}/diff/{child}");
        var only = Assert.Single(diff.EnumerateArray());
        Assert.Equal(("optim.learningRate", "0.003", "0.006"), (only.GetProperty("key").GetString(), only.GetProperty("left").GetString(), only.GetProperty("right").GetString()));
        await using (var db = await app.DbAsync())
        {
            var run = await db.Runs.SingleAsync(r => r.Id == child);
            Assert.Equal((parent, "lr x2", RunStatus.Queued), (run.ClonedFromId, run.Name, run.Status));
            Assert.Equal(64, RunConfig.FromJson(run.ConfigJson).Data.EpochSamples);   // what the form does not show is kept
        }

        var refused = await client.PostAsJsonAsync($"/api/runs/{parent}/clone", new CloneRequest(null, JsonSerializer.SerializeToElement(new { epochs = 0 })));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Epochs", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/runs/999/clone", new CloneRequest(null, null))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{parent}/diff/999")).StatusCode);
    }
}
