using System.Diagnostics;
using Microsoft.Playwright;
using Slip.Data;
using Slip.Web.Tests;

namespace Slip.E2E;

/// <summary>The dashboard with a store at scale: a long series zooms into detail, and thousands of runs stay quick and keyboard-driven.</summary>
public sealed class ScaleTests
{
    [Fact]
    public async Task ALongSeriesShowsBucketsAndZoomingBringsBackTheRawPoints()
    {
        await using var live = await LiveApp.StartAsync();
        long runId;
        await using (var db = await live.App.DbAsync())
        {
            var config = SlipAppFactory.TinyRun();
            var run = new Run { Name = "long series", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            var random = new Random(1);
            foreach (var chunk in Enumerable.Range(0, 200_000).Chunk(20_000))
            {
                await MetricIngest.WriteAsync(db, runId, chunk.Select(s => new MetricRow("loss", s, s / 1000.0, Math.Exp(-s / 50_000.0) + (0.1 * random.NextDouble()), DateTime.UtcNow)).ToList());
            }
        }

        await live.RunAsync("long-series", async page =>
        {
            await page.GotoAsync($"/runs/{runId}");
            const string Xs = "() => document.getElementById('chart-loss')?.chart?.traces?.[0]?.x ?? []";
            await page.WaitForFunctionAsync($"() => ({Xs})()?.length > 0");
            var whole = await page.EvaluateAsync<long[]>(Xs);
            Assert.InRange(whole.Length, 1000, 1200);                    // 200,000 points drawn as about 1,200 buckets
            Assert.Equal(199_999, whole[^1]);

            var clock = Stopwatch.StartNew();
            await page.EvaluateAsync("() => document.getElementById('chart-loss').chart.zoom(100000, 100500)");
            await page.WaitForFunctionAsync($"() => ({Xs})().length > 400 && ({Xs})()[1] - ({Xs})()[0] === 1");   // every step: the raw points
            Assert.True(clock.ElapsedMilliseconds < 5000, $"the zoom took {clock.ElapsedMilliseconds} ms to show detail");
            var zoomed = await page.EvaluateAsync<long[]>(Xs);
            Assert.All(zoomed, x => Assert.InRange(x, 100_000, 100_500));
            var range = await page.EvaluateAsync<double[]>("() => document.getElementById('chart-loss').chart.xRange");
            Assert.Equal(new[] { 100000d, 100500d }, range);   // the user's zoom is kept through the redraw
            await Browser.ScreenshotAsync(page, "long-series-zoomed");

            // Smoothing draws the smoothed line over a faint raw line; the x-axis switches to epochs (the run logged step / 1000).
            await page.Locator("[data-testid=smoothing]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "EMA 0.9 (" }).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-loss').chart.traces.some(d => d.name === 'loss (raw)' && d.x.length > 0)");
            // Roughness: the mean step-to-step change of each line.
            var roughness = await page.EvaluateAsync<double[]>("""
                () => ['loss', 'loss (raw)'].map(n => { const y = document.getElementById('chart-loss').chart.traces.find(d => d.name === n).y; return y.slice(1).reduce((s, v, j) => s + Math.abs(v - y[j]), 0) / (y.length - 1); })
                """);
            Assert.True(roughness[0] < roughness[1] / 3, $"the smoothed line moves {roughness[0]:F4} per point, the raw one {roughness[1]:F4}");
            await page.Locator("[data-testid=x-axis]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Epoch" }).ClickAsync();
            await page.WaitForFunctionAsync($"() => Math.max(...({Xs})()) < 201 && ({Xs})().length > 1000");
            Assert.Equal("epoch", await page.EvaluateAsync<string>("() => document.getElementById('chart-loss').chart.xTitle"));
            await Browser.ScreenshotAsync(page, "long-series-epochs-smoothed");

            // The chart's own controls. Hovering reads out the nearest values.
            var canvas = page.Locator("#chart-loss canvas");
            var box = await canvas.BoundingBoxAsync();
            await page.Mouse.MoveAsync(box!.X + (box.Width / 2), box.Y + (box.Height / 2));
            var tip = page.Locator("#chart-loss .slip-chart-tip");
            await tip.WaitForAsync();
            Assert.Matches(@"^epoch \d+(\.\d+)?\n.*loss: \d", await tip.InnerTextAsync());
            // The legend hides a line (its faint raw line with it) and shows it again: the canvas loses and regains its blue pixels.
            const string Blue = """
                () => { const c = document.querySelector('#chart-loss canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 90 && d[i + 1] > 95 && d[i + 1] < 160 && d[i + 2] > 150 && d[i + 3] > 60) n++; return n; }
                """;
            var shown = await page.EvaluateAsync<int>(Blue);
            Assert.True(shown > 500, $"{shown} blue pixels with the loss line shown");
            var legend = page.Locator("#chart-loss .slip-chart-legend-item", new() { HasTextString = "loss" });
            await legend.ClickAsync();
            Assert.Equal("false", await legend.GetAttributeAsync("aria-pressed"));
            await page.WaitForFunctionAsync($"() => ({Blue})() < {shown / 20}");
            await legend.ClickAsync();
            await page.WaitForFunctionAsync($"() => ({Blue})() > {shown / 2}");
            // PNG saves the chart as drawn.
            var png = await page.RunAndWaitForDownloadAsync(() => page.Locator("#chart-loss button", new() { HasTextString = "PNG" }).ClickAsync());
            Assert.Equal("Losses.png", png.SuggestedFilename);
            var bytes = await File.ReadAllBytesAsync((await png.PathAsync())!);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            // Wall time: the points' own times, shown in the browser's time zone.
            await page.Locator("[data-testid=x-axis]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Wall time" }).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-loss').chart.xTitle === 'wall time'");
            var last = await page.EvaluateAsync<double>($"() => ({Xs})().at(-1)");
            Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds((long)last), DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow);
        });
    }

    [Fact]
    public async Task TwoThousandRunsLoadQuicklyRenderOnlyWhatIsVisibleAndWorkFromTheKeyboard()
    {
        await using var live = await LiveApp.StartAsync();
        await using (var db = await live.App.DbAsync())
        {
            var config = SlipAppFactory.TinyRun().ToJson();
            db.Runs.AddRange(Enumerable.Range(0, 2000).Select(i => new Run
            {
                Name = $"sweep {i:D4}",
                Objective = i % 2 == 0 ? "CLIP" : "SLIP",
                Model = "Micro",
                Dataset = "shapes-mini",
                ConfigJson = config,
                Status = RunStatus.Succeeded,
                Tags = i % 100 == 0 ? ",milestone," : "",
                CreatedAt = DateTime.UtcNow.AddSeconds(i),
            }));
            await db.SaveChangesAsync();
        }

        await live.RunAsync("many-runs", async page =>
        {
            var clock = Stopwatch.StartNew();
            await page.GotoAsync("/");
            await page.Locator("[data-testid=runs-table]").GetByText("sweep 1999").WaitForAsync();
            Assert.True(clock.ElapsedMilliseconds < 10_000, $"the first rows took {clock.ElapsedMilliseconds} ms");
            await page.Locator("[data-testid=runs-count]", new PageLocatorOptions { HasTextString = "2000 runs" }).WaitForAsync();
            var rendered = await page.Locator("[data-testid=runs-table] tbody tr").CountAsync();
            Assert.InRange(rendered, 1, 200);   // virtualised: the page holds a window of the 2,000 rows

            // Keyboard only: focus the search box, type, and the table narrows to the matching runs.
            await page.Locator("input[data-testid=run-search]").FocusAsync();
            await page.Keyboard.TypeAsync("milestone");
            await page.Locator("[data-testid=runs-count]", new PageLocatorOptions { HasTextString = "20 runs" }).WaitForAsync();
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 80) ?? ''");
            Assert.NotEqual("", focused);   // focus moved on to the next control, not lost
            await Browser.ScreenshotAsync(page, "many-runs-filtered");
        });
    }
}
