using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Slip.Data;
using Slip.Training;
using Slip.Web.Tests;

namespace Slip.E2E;

public sealed class RunsTableTests
{
    [Fact]
    public async Task TheRunsTableFiltersAndARunIsClonedWithOneKnobChanged()
    {
        await using var live = await LiveApp.StartAsync();
        long parentId;
        await using (var db = await live.App.DbAsync())
        {
            var now = DateTime.UtcNow;
            foreach (var (name, objective, tags) in new[] { ("clip baseline", Objective.Clip, ",baseline,"), ("slip ablation", Objective.Slip, ",ablation,") })
            {
                var config = SlipAppFactory.TinyRun() with { Objective = objective };
                db.Runs.Add(new Run { Name = name, Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, Tags = tags, CreatedAt = now });
            }

            await db.SaveChangesAsync();
            parentId = await db.Runs.Where(r => r.Name == "slip ablation").Select(r => r.Id).SingleAsync();
            await MetricIngest.WriteAsync(db, parentId, [new("loss", 1, 0, 2.5, now), new("loss", 2, 0, 1.25, now)]);
        }

        await live.RunAsync("runs-table", async page =>
        {
            await page.GotoAsync("/");
            await page.Locator("[data-testid=runs-table]").GetByText("clip baseline").WaitForAsync();
            await page.Locator("[data-testid=runs-count]", new PageLocatorOptions { HasTextString = "2 runs" }).WaitForAsync();

            // Search narrows the table on the server; a metric column shows last and best.
            await page.Locator("input[data-testid=run-search]").FillAsync("ablation");
            await page.Locator("[data-testid=runs-count]", new PageLocatorOptions { HasTextString = "1 run" }).WaitForAsync();
            await page.Locator("[data-testid=metric-columns]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "loss" }).ClickAsync();
            await page.Keyboard.PressAsync("Escape");
            await page.Locator("[data-testid=runs-table]").GetByText("(best 1.25)").WaitForAsync();
            await Browser.ScreenshotAsync(page, "runs-table");

            // The table exports as it is filtered, with the chosen metric column.
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=runs-csv]").ClickAsync());
            var csv = await File.ReadAllLinesAsync(await download.PathAsync());
            Assert.EndsWith("loss_last,loss_best,loss_best_step", csv[0]);
            Assert.Equal(2, csv.Length);
            Assert.Contains("slip ablation", csv[1]);

            // Every control on the page has a name a screen reader can announce.
            var unnamed = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('button, a[href], input:not([type=hidden]), [role=button]')]
                    .filter(e => e.offsetParent !== null)
                    .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.[0]?.textContent.trim()
                        || e.getAttribute('title') || e.getAttribute('placeholder') || e.closest('label')?.textContent.trim()
                        || (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.getAttribute('aria-labelledby')))
                    .map(e => e.outerHTML.slice(0, 120))
                """);
            Assert.Empty(unnamed);

            // The dark theme applies at once and is remembered across a reload (of /runs, the list's other address).
            const string Background = "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()";
            var light = await page.EvaluateAsync<string>(Background);
            await page.Locator("[data-testid=theme-menu] button").First.ClickAsync();
            await page.Locator("[data-testid=theme-dark]").ClickAsync();
            await page.WaitForFunctionAsync($"() => ({Background})() !== '{light}'");
            await page.GotoAsync("/runs");   // a fresh load, at the runs list's other address
            await page.Locator("[data-testid=runs-table]").GetByText("slip ablation").WaitForAsync();
            await page.WaitForFunctionAsync($"() => ({Background})() !== '{light}'");
            await Browser.ScreenshotAsync(page, "runs-table-dark");

            // Clone with the learning rate doubled: the form shows exactly that change, and the new run remembers its parent.
            await page.Locator("[data-testid=runs-table]").GetByText("slip ablation").ClickAsync();
            await page.Locator("[data-testid=clone]").ClickAsync();
            await page.WaitForURLAsync($"**/runs/new?from={parentId}");
            await page.Locator("[data-testid=config-diff-empty]").WaitForAsync();
            await page.Locator("input[data-testid=learning-rate]").FillAsync("0.006");
            await page.Locator("input[data-testid=learning-rate]").PressAsync("Tab");
            var changed = page.Locator("[data-testid=config-diff-row]");
            await changed.First.WaitForAsync();
            Assert.Equal(1, await changed.CountAsync());
            Assert.Contains("learningRate", await changed.First.InnerTextAsync());
            await Browser.ScreenshotAsync(page, "clone");
            await page.Locator("input[data-testid=name]").FillAsync("slip lr x2");
            await page.Locator("input[data-testid=name]").PressAsync("Tab");
            await page.Locator("button[data-testid=launch]").ClickAsync();
            await page.WaitForURLAsync("**/runs/*");
            await page.Locator("[data-testid=clone-diff]").ClickAsync();
            await page.Locator("[data-testid=config-diff-row]").First.WaitForAsync();
            Assert.Equal(1, await page.Locator("[data-testid=config-diff-row]").CountAsync());
        });
    }
}
