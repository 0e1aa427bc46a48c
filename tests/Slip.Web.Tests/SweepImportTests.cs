using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Training.Sweeps;

namespace Slip.Web.Tests;

/// <summary>Sweeps trained elsewhere with <c>sweep run</c> and pushed to the dashboard (<c>sweep push</c>).</summary>
[Collection("hosts")]
public sealed class SweepImportTests
{
    private const string Sweep = """
        "name": "pushed", "base": {"model": "Micro", "data": {"dataset": "shapes-mini"}, "optim": {"epochs": 1, "batchSize": 32}, "eval": {"samples": 40}, "logEvery": 2},
        "grid": {"objective": ["Clip", "Slip"]}, "seeds": [0]
        """;

    private const string Definition = "{" + Sweep + """, "report": {"dataset": "shapes-mini", "tasks": ["zeroshot_classification"], "limit": 40}}""";

    private static SweepPlan Plan() => SweepPlan.Expand(SweepDefinition.FromJson(Definition));

    /// <summary><c>sweep run</c> in a child process, as a user runs it on a GPU machine.</summary>
    private static void SweepRun(string file, string output)
    {
        var start = new ProcessStartInfo(DotnetHost.Path()) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll"), "sweep", "run", "--file", file, "--out", output })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "sweep run took over 5 minutes");
        Assert.True(process.ExitCode == 0, stderr.Result);
    }

    [Fact]
    public async Task ASweepTrainedOnTheCommandLineIsPushedWithItsCurvesSelectionAndReport()
    {
        var folder = Directory.CreateTempSubdirectory("slip-push-").FullName;
        try
        {
            var file = Path.Combine(folder, "sweep.json");
            File.WriteAllText(file, Definition);
            var output = Path.Combine(folder, "out");
            SweepRun(file, output);
            await using var app = new SlipAppFactory();
            using var client = app.CreateClient();
            var lines = new List<string>();

            var pushed = await SweepPush.RunAsync(client, output, (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(output, SweepFolder.DefinitionFile)))!, Plan(), "gpu-box:/sweeps/pushed", null, lines.Add);

            Assert.True(pushed is { Imported: 2, Refused: 0, SweepId: not null }, string.Join('\n', lines));
            var id = pushed.SweepId!.Value;
            var sweep = await client.GetFromJsonAsync<JsonElement>($"/api/sweeps/{id}");
            Assert.Equal("gpu-box:/sweeps/pushed", sweep.GetProperty("importedFrom").GetString());
            Assert.Equal(2, sweep.GetProperty("progress").GetProperty("succeeded").GetInt32());
            foreach (var run in sweep.GetProperty("runs").EnumerateArray())
            {
                var index = run.GetProperty("index").GetInt32();
                var dir = SweepFolder.RunFolder(output, index);
                using var scores = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SweepFolder.ScoresFile)));
                Assert.Equal(scores.RootElement.GetProperty("selection").GetDouble(), run.GetProperty("selection").GetDouble(), 6);
                using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SweepFolder.ReportFile)));
                var acc1 = report.RootElement[0].GetProperty("metrics").GetProperty("acc1").GetDouble();
                Assert.Equal(acc1, run.GetProperty("test").GetProperty("eval.acc1").GetDouble(), 6);   // the report, as an evaluation of the run
            }

            Assert.All(sweep.GetProperty("arms").EnumerateArray(), a => Assert.Equal(1, a.GetProperty("best").GetProperty("test").GetProperty("eval.acc1").GetProperty("count").GetInt32()));
            await using (var db = await app.DbAsync())
            {
                var runs = await db.Runs.Where(r => r.SweepId == id).OrderBy(r => r.SweepIndex).ToListAsync();
                Assert.All(runs, r => Assert.Equal($",sweep:{id},imported,", r.Tags));
                Assert.All(runs, r => Assert.StartsWith("Imported from gpu-box:/sweeps/pushed/run-00", r.Notes));
                Assert.All(runs, r => Assert.Null(r.JobId));                                                    // a record, not a job
                var loss = (await MetricQueries.SeriesAsync(db, runs[0].Id, "loss")).Count;
                var logged = File.ReadLines(Path.Combine(SweepFolder.RunFolder(output, 0), SweepFolder.EventsFile))
                    .Select(TrainerEvent.TryParse).Count(e => e?.Values?.ContainsKey("loss") == true);
                Assert.Equal(logged, loss);                                                                      // the whole curve
                Assert.True(logged > 1);
                var ids = runs.Select(r => r.Id).ToList();
                Assert.Equal(2, await db.Evaluations.CountAsync(e => ids.Contains(e.RunId) && e.Status == RunStatus.Succeeded));
            }

            // Pushing into the same sweep again sends nothing twice; an imported sweep is not resumed here.
            var again = await SweepPush.RunAsync(client, output, (JsonObject)JsonNode.Parse(Definition)!, Plan(), "gpu-box:/sweeps/pushed", id, lines.Add);
            Assert.Equal((0, 2, 0), (again.Imported, again.AlreadyThere, again.Refused));
            var resume = await (await client.PostAsync($"/api/sweeps/{id}/resume", null)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("resume it there with sweep run", resume.GetProperty("problems")[0].GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ARunThatDoesNotBelongIsRefusedWithTheReasonAndStoresNothing()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var created = await client.PostAsJsonAsync("/api/sweeps/import", new { sweep = JsonNode.Parse(Definition), source = "gpu-box:/sweeps/pushed" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var plan = Plan();
        SweepRunImport Import(int index, RunConfig config) => new()
        {
            Index = index,
            Config = JsonNode.Parse(config.ToJson())!.AsObject(),
            Events = [new TrainerEvent { Type = TrainerEvent.Metrics, Step = 2, TotalSteps = 2, Values = new() { ["val_zeroshot_acc1"] = 50 } }],
        };
        async Task<(HttpStatusCode Status, string Said)> PostAsync(long sweep, SweepRunImport import)
        {
            var answer = await client.PostAsync($"/api/sweeps/{sweep}/runs", new StringContent(import.ToJson(), System.Text.Encoding.UTF8, "application/json"));
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
            return (answer.StatusCode, problem.TryGetProperty("errors", out var errors)
                ? string.Join(" | ", errors.EnumerateObject().Select(e => $"{e.Name}: {e.Value[0].GetString()}"))
                : problem.TryGetProperty("detail", out var detail) ? detail.GetString()! : "");
        }

        var outside = await PostAsync(id, Import(2, plan.Runs[0].Config));
        var swapped = await PostAsync(id, Import(0, plan.Runs[1].Config));
        var unended = await PostAsync(id, Import(0, plan.Runs[0].Config) with { Outcome = "running" });
        var missing = await PostAsync(424242, Import(0, plan.Runs[0].Config));
        var queuedHere = (await (await client.PostAsJsonAsync("/api/sweeps", JsonNode.Parse("{" + Sweep + "}"))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var intoQueued = await PostAsync(queuedHere, Import(0, plan.Runs[0].Config));
        var garbled = await client.PostAsync("/api/sweeps/import", new StringContent("{\"sweep\": 3}", System.Text.Encoding.UTF8, "application/json"));
        var anonymous = await app.AnonymousClient().PostAsJsonAsync("/api/sweeps/import", new { sweep = JsonNode.Parse(Definition), source = "x:/y" });

        Assert.Equal(HttpStatusCode.BadRequest, outside.Status);
        Assert.Equal("index: The sweep plans runs 0 to 1; there is no run 2.", outside.Said);
        Assert.Equal(HttpStatusCode.BadRequest, swapped.Status);
        Assert.Equal("config: Run 0's config has objective=\"Slip\" where the sweep's plan has \"Clip\": is this the sweep's own folder?", swapped.Said);
        Assert.Equal(HttpStatusCode.BadRequest, unended.Status);
        Assert.Contains("outcome: A run is imported once it ended: outcome is completed, failed or cancelled, not 'running'.", unended.Said);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(HttpStatusCode.Conflict, intoQueued.Status);
        Assert.Contains("runs can only be added to an imported sweep", intoQueued.Said);
        Assert.Equal(HttpStatusCode.BadRequest, garbled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await using (var db = await app.DbAsync())
        {
            Assert.Equal(0, await db.Runs.CountAsync(r => r.SweepId == id));
        }

        Assert.Equal(HttpStatusCode.Created, (await PostAsync(id, Import(0, plan.Runs[0].Config))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(id, Import(0, plan.Runs[0].Config))).Status);
    }
}
