using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Tests;

/// <summary>Overlays: one metric across runs on shared buckets, grouped by a config key with mean ± std, missing metrics named.</summary>
[Collection("hosts")]
public sealed class CurveComparisonTests
{
    [Fact]
    public async Task RunsAreOverlaidAndGroupedWithMeanAndStdAndMissingMetricsAreNamed()
    {
        await using var app = new SlipAppFactory();
        var ids = new List<long>();
        await using (var db = await app.DbAsync())
        {
            // Two CLIP seeds (loss 4 and 6 at every step) and one SLIP (loss 1), and a run that never logged loss.
            foreach (var (objective, seed, value) in new[] { (Objective.Clip, 0, 4.0), (Objective.Clip, 1, 6.0), (Objective.Slip, 0, 1.0), (Objective.Slip, 1, double.NaN) })
            {
                var config = SlipAppFactory.TinyRun() with { Objective = objective, Seed = seed };
                var run = new Run { Name = $"{objective}-{seed}", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
                db.Runs.Add(run);
                await db.SaveChangesAsync();
                ids.Add(run.Id);
                if (!double.IsNaN(value))
                {
                    await MetricIngest.WriteAsync(db, run.Id, Enumerable.Range(0, 100).Select(i => new MetricRow("loss", i, 0, value, DateTime.UtcNow)).ToList());
                }
            }
        }

        using var client = app.CreateClient();
        var runs = string.Join(',', ids);
        var grouped = await client.GetFromJsonAsync<JsonElement>($"/api/compare/curves?runs={runs}&metric=loss&group=objective");
        var lines = grouped.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(["objective = \"Clip\" (n=2)", "objective = \"Slip\" (n=1)"], lines.Select(l => l.GetProperty("label").GetString()));
        Assert.All(lines[0].GetProperty("mean").EnumerateArray(), m => Assert.Equal(5.0, m.GetDouble()));
        Assert.All(lines[0].GetProperty("std").EnumerateArray(), s => Assert.Equal(Math.Sqrt(2), s.GetDouble(), 9));
        Assert.All(lines[1].GetProperty("std").EnumerateArray(), s => Assert.Equal(JsonValueKind.Null, s.ValueKind));
        Assert.Equal(100, lines[0].GetProperty("steps").GetArrayLength());
        Assert.Equal([$"#{ids[3]} Slip-1"], grouped.GetProperty("missing").EnumerateArray().Select(m => m.GetString()));

        var perRun = await client.GetFromJsonAsync<JsonElement>($"/api/compare/curves?runs={runs}&metric=loss");
        Assert.Equal(3, perRun.GetProperty("lines").GetArrayLength());

        var csv = await client.GetStringAsync($"/api/compare/curves?runs={runs}&metric=loss&group=objective&format=csv");
        Assert.StartsWith("line,runs,step,loss_mean,loss_std\n\"objective = \"\"Clip\"\" (n=2)\",2,0,5,1.4142135623730951", csv);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/compare/curves?runs=1,x&metric=loss")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/compare/curves?runs={runs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/compare/curves?runs=999&metric=loss")).StatusCode);
    }
}
