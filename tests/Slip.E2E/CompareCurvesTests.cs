using System.Diagnostics;
using Microsoft.Playwright;
using Slip.Data;
using Slip.Training;
using Slip.Web.Tests;

namespace Slip.E2E;

public sealed class CompareCurvesTests
{
    [Fact]
    public async Task FiftyRunsOverlayAndGroupWithoutTheBrowserStalling()
    {
        await using var live = await LiveApp.StartAsync();
        var ids = new List<long>();
        await using (var db = await live.App.DbAsync())
        {
            var random = new Random(3);
            for (var i = 0; i < 50; i++)
            {
                var config = SlipAppFactory.TinyRun() with { Objective = i % 2 == 0 ? Objective.Clip : Objective.Slip, Seed = i };
                var run = new Run { Name = i == 0 ? "<a href=\"https://example.org\">run 0</a>" : $"run {i}", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
                db.Runs.Add(run);
                await db.SaveChangesAsync();
                ids.Add(run.Id);
                await MetricIngest.WriteAsync(db, run.Id, Enumerable.Range(0, 2000).Select(s => new MetricRow("loss", s, s / 100.0, (i % 2 == 0 ? 5 : 4) * Math.Exp(-s / 700.0) + (0.2 * random.NextDouble()), DateTime.UtcNow)).ToList());
            }
        }

        await live.RunAsync("compare-curves", async page =>
        {
            await page.GotoAsync($"/compare/curves?runs={string.Join(',', ids)}&metric=loss");
            await page.WaitForFunctionAsync("() => document.getElementById('compare-curves')?.data?.length === 50", null, new() { Timeout = 30_000 });
            Assert.Equal(50, await page.EvaluateAsync<int>("() => document.getElementById('compare-curves').data.filter(t => t.x.length >= 400).length"));

            // The page answers a zoom at once with 50 curves drawn.
            var clock = Stopwatch.StartNew();
            await page.EvaluateAsync("() => Plotly.relayout('compare-curves', { 'xaxis.range': [100, 400] })");
            Assert.True(clock.ElapsedMilliseconds < 2000, $"a zoom took {clock.ElapsedMilliseconds} ms");
            await Browser.ScreenshotAsync(page, "compare-curves-50");

            // A run name with markup shows as typed: Plotly renders a subset of HTML in legends, so names are encoded.
            Assert.Contains($"#{ids[0]} <a href=\"https://example.org\">run 0</a>", await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#compare-curves .legendtext')).map(e => e.textContent)"));
            Assert.Equal(0, await page.EvaluateAsync<int>("() => document.querySelectorAll('#compare-curves .legendtext a').length"));

            // Grouped by objective: two lines with mean ± std bands (line + two band edges each).
            await page.Locator("[data-testid=curve-group]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "objective" }).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('compare-curves')?.data?.length === 6");
            var labels = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#compare-curves .legendtext')).map(e => e.textContent)");
            Assert.Equal(["objective = \"Clip\" (n=25)", "objective = \"Slip\" (n=25)"], labels);
            await Browser.ScreenshotAsync(page, "compare-curves-grouped");
        });
    }
}
