using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Slip.Training;
using Slip.Training.Evaluation;
using Slip.Training.Sweeps;

namespace Slip.E2E;

public sealed class SweepPageTests
{
    [Fact]
    public async Task ASweepCreatedInTheBrowserRunsItsRunsAndShowsEachArmsBestConfig()
    {
        await using var live = await LiveApp.StartAsync();
        await live.RunAsync("sweep", async page =>
        {
            await page.GotoAsync("/sweeps");
            await page.Locator("[data-testid=sweeps-empty]").WaitForAsync();
            await page.Locator("[data-testid=new-sweep]").ClickAsync();
            await page.WaitForURLAsync("**/sweeps/new");

            // The default grid compares CLIP with SLIP over two learning rates; one of them is made invalid first.
            await page.Locator("input[data-testid=sweep-name]").FillAsync("e2e-sweep");
            await page.Locator("input[data-testid=sweep-seeds]").FillAsync("0, 1");
            await page.Locator("input[data-testid=grid-values-1]").FillAsync("1e-3, -1");
            await page.Locator("input[data-testid=grid-values-1]").PressAsync("Tab");
            await page.Locator("[data-testid=sweep-count]", new PageLocatorOptions { HasTextString = "8 runs" }).WaitForAsync();
            await page.Locator("[data-testid=dataset]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "shapes-mini" }).ClickAsync();
            await page.Locator("[data-testid=model]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "Micro" }).ClickAsync();
            await page.Locator("input[data-testid=epochs]").FillAsync("1");
            await page.Locator("input[data-testid=epochs]").PressAsync("Tab");
            await page.Locator("button[data-testid=launch]").ClickAsync();

            // Every expanded config is checked before anything is queued: the bad value is shown on its grid row.
            await page.GetByText("Learning rate must be greater than 0 and at most 1.").First.WaitForAsync();
            Assert.EndsWith("/sweeps/new", page.Url);
            await using (var db = await live.App.DbAsync())
            {
                Assert.Equal(0, await db.Runs.CountAsync());
            }

            await page.Locator("[data-testid=grid-remove-1]").ClickAsync();
            await page.Locator("[data-testid=sweep-count]", new PageLocatorOptions { HasTextString = "4 runs" }).WaitForAsync();
            await Browser.ScreenshotAsync(page, "new-sweep");
            await page.Locator("button[data-testid=launch]").ClickAsync();

            // The sweep page follows its four runs to the end, then shows each arm's best config on validation, reported on test.
            await page.WaitForURLAsync("**/sweeps/*");
            await page.Locator("[data-testid=sweep-progress]", new PageLocatorOptions { HasTextString = "4 of 4 succeeded" }).WaitForAsync(new() { Timeout = 300_000 });
            var rows = page.Locator("[data-testid=selection-row]");
            await rows.First.WaitForAsync();
            Assert.Equal(2, await rows.CountAsync());
            Assert.Matches(@"objective=Clip\s+objective=""clip""\s+2\s+\d+\.\d ± \d+\.\d\s+\d+\.\d ± \d+\.\d", await rows.Nth(0).InnerTextAsync());
            Assert.Matches(@"objective=Slip\s+objective=""slip""\s+2\s+\d+\.\d ± \d+\.\d\s+\d+\.\d ± \d+\.\d.*zeroshot_acc1 [+-]\d+\.\d \((beyond|within) noise\)", await rows.Nth(1).InnerTextAsync());
            Assert.Equal(4, await page.Locator("[data-testid=sweep-run]").CountAsync());
            Assert.Equal(4, await page.EvaluateAsync<int>("() => document.getElementById('sweep-scatter').data.reduce((n, t) => n + t.x.length, 0)"));
            await Browser.ScreenshotAsync(page, "sweep");

            // Compare, restricted to the sweep, decides the same way.
            await page.Locator("[data-testid=sweep-compare]").ClickAsync();
            await page.WaitForURLAsync("**/compare?sweep=*");
            await page.Locator("[data-testid=selection-row]").First.WaitForAsync();
            Assert.Equal(2, await page.Locator("[data-testid=selection-row]").CountAsync());
        });
    }

    [Fact]
    public async Task ASweepPushedFromTheCommandLineShowsWhereItRanAndItsReportedResults()
    {
        await using var live = await LiveApp.StartAsync();
        const string definition = """
            {"name": "pushed", "base": {"model": "Micro", "data": {"dataset": "shapes-mini"}}, "grid": {"objective": ["Clip", "Slip"]}, "seeds": [0, 1]}
            """;
        using var api = live.ApiClient();
        var created = await api.PostAsJsonAsync("/api/sweeps/import", new { sweep = JsonNode.Parse(definition), source = "gpu-box:/sweeps/pushed" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        foreach (var run in SweepPlan.Expand(SweepDefinition.FromJson(definition)).Runs)
        {
            var import = new SweepRunImport
            {
                Index = run.Index,
                Config = JsonNode.Parse(run.Config.ToJson())!.AsObject(),
                Events = [new TrainerEvent { Type = TrainerEvent.Metrics, Step = 4, TotalSteps = 4, Values = new() { ["val_zeroshot_acc1"] = 40 + run.Index, ["loss"] = 2 } }],
                Report = new SweepRunReport(new EvalRequest { Dataset = "shapes-mini" }, [new EvalResult("shapes-mini", "Micro", "x.pt", "zeroshot_classification", new() { ["acc1"] = 30 + (2 * run.Index) })]),
            };
            var answer = await api.PostAsync($"/api/sweeps/{id}/runs", new StringContent(import.ToJson(), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, answer.StatusCode);
        }

        await live.RunAsync("pushed-sweep", async page =>
        {
            await page.GotoAsync("/sweeps");
            await page.Locator("[data-testid=sweep-imported-chip]").WaitForAsync();
            await page.GotoAsync($"/sweeps/{id}");
            await page.Locator("[data-testid=sweep-imported]", new PageLocatorOptions { HasTextString = "gpu-box:/sweeps/pushed" }).WaitForAsync();
            var rows = page.Locator("[data-testid=selection-row]");
            await rows.First.WaitForAsync();
            Assert.Matches(@"objective=Slip.*42\.5 ± 0\.7.*35\.0 ± 1\.4", await rows.Nth(1).InnerTextAsync());   // val_zeroshot_acc1 selected on, then the report's acc1
            Assert.Equal(0, await page.Locator("[data-testid=sweep-cancel], [data-testid=sweep-resume]").CountAsync());   // records, not jobs
            await Browser.ScreenshotAsync(page, "pushed-sweep");
        });
    }
}
