using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slip.Data;
using Slip.Training;
using Slip.Web.Compare;

namespace Slip.Web.Tests;

/// <summary>The paper-style comparison: grouping, mean ± std over seeds, gains over CLIP, exports.</summary>
[Collection("hosts")]
public sealed class CompareTests
{
    private static readonly RunScores[] Runs =
    [
        new("Tiny", "CLIP", 10, 20, 40, 20), new("Tiny", "CLIP", 10, 22, 44),
        new("Tiny", "SLIP", 10, 25, 50, 25), new("Tiny", "SLIP", 10, 27, 52),
        new("Tiny", "SimCLR", 10, null, 48),
        new("Tiny", "SLIP", 5, 15, 30),
        new("Small", "CLIP", 10, 30, 60),
    ];

    [Fact]
    public void RowsGroupSeedsAndCompareWithClipAtTheSameBudget()
    {
        var rows = ComparisonTable.Build(Runs);
        Assert.Equal(["Small", "Tiny", "Tiny", "Tiny", "Tiny"], rows.Select(r => r.Model));
        Assert.Equal([("CLIP", 10), ("SLIP", 5), ("CLIP", 10), ("SimCLR", 10), ("SLIP", 10)], rows.Select(r => (r.Objective, r.Epochs)));
        var slip = rows.Single(r => r.Objective == "SLIP" && r.Epochs == 10);
        Assert.Equal((2, 26.0, 51.0), (slip.Runs, slip.ZeroShot.Mean!.Value, slip.Linear.Mean!.Value));
        Assert.Equal(Math.Sqrt(2), slip.ZeroShot.Std!.Value, 9);
        Assert.Equal((5.0, 9.0), (slip.ZeroShotGain!.Value, slip.LinearGain!.Value)); // over CLIP's 21 and 42
        Assert.Equal((1, 25.0, 5.0), (slip.FineTune.Count, slip.FineTune.Mean!.Value, slip.FineTuneGain!.Value)); // the seeds that were fine-tuned
        var simclr = rows.Single(r => r.Objective == "SimCLR");
        Assert.Equal((0, (double?)null, 6.0), (simclr.ZeroShot.Count, simclr.ZeroShotGain, simclr.LinearGain!.Value));
        Assert.Null(rows.Single(r => r.Objective == "SLIP" && r.Epochs == 5).ZeroShotGain); // no CLIP at 5 epochs

        var markdown = ComparisonTable.ToMarkdown(rows);
        Assert.Contains("| SLIP | 10 | 2 | 26.0 ± 1.4 | 51.0 ± 1.4 | 25.0 | +5.0 | +9.0 | +5.0 |", markdown);
        Assert.Contains("| SimCLR | 10 | 1 | – | 48.0 | – |  | +6.0 |  |", markdown);
        Assert.StartsWith("model,objective,epochs,runs,", ComparisonTable.ToCsv(rows));
        Assert.Contains(@"26.0 $\pm$ 1.4 (+5.0)", ComparisonTable.ToLatex(rows));
    }

    [Fact]
    public async Task TheCompareApiReadsFinishedRunsFinalScoresAndExports()
    {
        await using var app = new SlipAppFactory();
        await using (var db = await app.DbAsync())
        {
            foreach (var (objective, seed, zeroShot) in new[] { (Objective.Clip, 0, 20.0), (Objective.Slip, 0, 30.0) })
            {
                var config = SlipAppFactory.TinyRun(epochs: 2) with { Objective = objective, Seed = seed };
                var run = new Run { Name = $"{objective}", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
                db.Runs.Add(run);
                await db.SaveChangesAsync();
                await MetricIngest.WriteAsync(db, run.Id, [new("zeroshot_acc1", 4, 1, zeroShot - 5, DateTime.UtcNow), new("zeroshot_acc1", 8, 2, zeroShot, DateTime.UtcNow), new("lp_acc1", 8, 2, zeroShot + 10, DateTime.UtcNow)]);
            }

            db.Runs.Add(new Run { Name = "failed", Objective = "SLIP", Model = "Tiny", Dataset = "shapes", ConfigJson = "{}", Status = RunStatus.Failed, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var client = app.CreateClient();
        var rows = await client.GetFromJsonAsync<JsonElement>("/api/compare");
        Assert.Equal(2, rows.GetArrayLength());
        var slip = rows.EnumerateArray().Single(r => r.GetProperty("objective").GetString() == "SLIP");
        Assert.Equal(30.0, slip.GetProperty("zeroShot").GetProperty("mean").GetDouble()); // the last epoch's, not the first's
        Assert.Equal(10.0, slip.GetProperty("zeroShotGain").GetDouble());

        var csv = await client.GetAsync("/api/compare?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains(",SLIP,2,1,30,,40,,,,10,10,\n", await csv.Content.ReadAsStringAsync());
        Assert.Contains("| CLIP | 2 | 1 | 20.0 | 30.0 | – |", await client.GetStringAsync("/api/compare?format=md"));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/compare?format=xlsx")).StatusCode);
    }
}
