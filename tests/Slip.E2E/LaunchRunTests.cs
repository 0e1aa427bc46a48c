using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Slip.Web.Tests;

namespace Slip.E2E;

public sealed class LaunchRunTests
{
    private const string LossPoints = "() => document.getElementById('chart-loss')?.chart?.traces?.[0]?.x ?? []";

    [Fact]
    public async Task TinySlipRunLaunchedInTheBrowserTrainsLiveAndItsCheckpointDownloads()
    {
        await using var live = await LiveApp.StartAsync();
        var app = live.App;
        await live.RunAsync("launch", async page =>
        {
            await page.GotoAsync("/");
            await page.GetByText("No runs yet").WaitForAsync();
            await page.GotoAsync("/runs/new");

            // Choose the small built-in dataset and three epochs; the rest are the Tiny SLIP defaults.
            await page.Locator("[data-testid=dataset]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "shapes-mini" }).ClickAsync();
            await page.Locator("input[data-testid=epochs]").FillAsync("0");
            await page.Locator("input[data-testid=epochs]").PressAsync("Tab");
            await page.GetByText("Epochs must be between 1 and 10000.").WaitForAsync();
            await page.Locator("input[data-testid=epochs]").FillAsync("3");
            await page.Locator("input[data-testid=epochs]").PressAsync("Tab");
            await page.Locator("input[data-testid=name]").FillAsync("e2e tiny slip");
            await page.Locator("input[data-testid=name]").PressAsync("Tab");
            await Browser.ScreenshotAsync(page, "new-run");
            await page.Locator("button[data-testid=launch]").ClickAsync();

            await page.WaitForURLAsync("**/runs/*");
            await page.GetByText("e2e tiny slip").WaitForAsync();

            // The loss chart gains points while the page stays open, with no reload.
            var first = await WaitForPointsAsync(page, 1);
            // The user zooms by dragging across the plot; the zoom is kept while live points arrive.
            var canvas = await page.Locator("#chart-loss canvas").BoundingBoxAsync();
            await page.Mouse.MoveAsync(canvas!.X + 70, canvas.Y + 100);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(canvas.X + 140, canvas.Y + 120, new() { Steps = 4 });
            await page.Mouse.UpAsync();
            var zoomed = await page.EvaluateAsync<double[]>("() => document.getElementById('chart-loss').chart.xRange");
            var later = await WaitForPointsAsync(page, first.Length + 2);
            Assert.True(later.Length > first.Length);
            Assert.Equal(later.Distinct().Count(), later.Length);
            Assert.Equal(later.Order(), later);
            var range = await page.EvaluateAsync<double[]>("() => document.getElementById('chart-loss').chart.xRange");
            Assert.Equal(zoomed, range);
            Assert.True(range[1] > range[0]);
            await page.Locator("#chart-loss canvas").DblClickAsync();
            Assert.Null(await page.EvaluateAsync<double[]?>("() => document.getElementById('chart-loss').chart.xRange"));

            await page.Locator("[data-testid=run-status]", new PageLocatorOptions { HasTextString = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
            await page.Locator("[data-testid=checkpoint-download]").First.WaitForAsync();
            // The system strip shows the run's throughput and the trainer's memory; the data panel plots its wait for batches.
            Assert.True(double.Parse(await page.Locator("[data-testid=system-images_per_s]").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0);
            await page.Locator("[data-testid=system-rss_mb]").WaitForAsync();
            Assert.True(await page.EvaluateAsync<int>("() => document.getElementById('chart-data').chart.traces[0].x.length") > 0);
            await Browser.ScreenshotAsync(page, "run");
            Assert.Equal(3, await page.Locator("[data-testid=checkpoint-download]").CountAsync());

            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=checkpoint-download]").Last.ClickAsync());
            var saved = Path.Combine(app.DataDirectory, "downloaded.pt");
            await download.SaveAsAsync(saved);
            await using var db = await app.DbAsync();
            var last = await db.Checkpoints.OrderByDescending(c => c.Epoch).FirstAsync();
            Assert.Equal(3, last.Epoch);
            Assert.Equal(last.Bytes, new FileInfo(saved).Length);
            Assert.Equal(last.Sha256, Slip.Training.Checkpoints.Sha256Of(saved));

            // Evaluate the last checkpoint from the Run page: an order with no task is refused on the spot, then
            // zero-shot, a short linear probe (the reference protocol, named beside its number) and a short fine-tuning
            // run as a queued job whose results appear here.
            await page.Locator("[data-testid=eval-task-zeroshot_classification]").ClickAsync();
            await page.Locator("[data-testid=eval-task-linear_probe]").ClickAsync();
            await page.Locator("button[data-testid=eval-submit]").ClickAsync();
            await page.Locator("[data-testid=eval-tasks-error]", new PageLocatorOptions { HasTextString = "Choose at least one task." }).WaitForAsync();
            await page.Locator("[data-testid=eval-task-zeroshot_classification]").ClickAsync();
            await page.Locator("[data-testid=eval-task-linear_probe]").ClickAsync();
            await page.Locator("[data-testid=eval-task-finetune]").ClickAsync();
            await page.Locator("input[data-testid=eval-probe-epochs]").FillAsync("10");
            await page.Locator("input[data-testid=eval-probe-epochs]").PressAsync("Tab");
            await page.Locator("input[data-testid=eval-ft-epochs]").FillAsync("2");
            await page.Locator("input[data-testid=eval-ft-epochs]").PressAsync("Tab");
            await page.Locator("button[data-testid=eval-submit]").ClickAsync();
            var evaluated = page.Locator("[data-testid=evaluation-row][data-status=Succeeded]");
            await evaluated.WaitForAsync(new() { Timeout = 120_000 });
            Assert.Matches(@"zero-shot \d+\.\d.*linear, reference \d+\.\d.*fine-tune \d+\.\d", await evaluated.Locator("[data-testid=evaluation-results]").InnerTextAsync());
            await Browser.ScreenshotAsync(page, "run-evaluated");

            await page.GotoAsync("/");
            await page.GetByText("e2e tiny slip").WaitForAsync();
            await Browser.ScreenshotAsync(page, "runs");

            // The finished run appears in the paper-style comparison with its evaluated zero-shot, linear and fine-tuning scores.
            await page.GotoAsync("/compare");
            var row = page.Locator("[data-testid=compare-table] tr", new PageLocatorOptions { HasTextString = "SLIP" });
            await row.WaitForAsync();
            Assert.Matches(@"SLIP\s+3\s+1\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d", await row.InnerTextAsync());
            await Browser.ScreenshotAsync(page, "compare");
        });
    }

    [Fact]
    public async Task RunsPageUpdatesLiveAndCancelStopsARunningRun()
    {
        await using var live = await LiveApp.StartAsync(new Dictionary<string, string?> { ["Slip:Workers:SelfCheck"] = "true" });
        await live.RunAsync("cancel", async page =>
        {
            await page.GotoAsync("/");
            await page.GetByText("No runs yet").WaitForAsync();

            // Launched elsewhere (the API): the open Runs page shows it without a reload.
            using var client = live.ApiClient();
            var config = JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(epochs: 500), Slip.Training.RunConfig.JsonOptions);
            var created = await client.PostAsJsonAsync("/api/runs", new Slip.Web.Runs.LaunchRequest("long run", config));
            Assert.True(created.IsSuccessStatusCode);
            await page.GetByText("long run").WaitForAsync();
            await page.Locator("[data-testid=run-status]", new PageLocatorOptions { HasTextString = "Running" }).WaitForAsync();

            // The queue view shows it running on this host's CPU worker, and a second run queued behind it.
            var queuedBehind = await client.PostAsJsonAsync("/api/runs", new Slip.Web.Runs.LaunchRequest("waiting run", config));
            Assert.True(queuedBehind.IsSuccessStatusCode);
            await page.Locator("[data-testid=nav-queue]").ClickAsync();
            await page.Locator("[data-testid=running]").GetByText("long run").WaitForAsync();
            await page.Locator("[data-testid=queued]").GetByText("waiting run").WaitForAsync();
            Assert.Contains("/cpu", await page.Locator("[data-testid=workers]").InnerTextAsync());
            // The worker checked its device when it started (the trainer's doctor, as a child on that device).
            await page.Locator("[data-testid=workers] [data-testid=device-check]", new PageLocatorOptions { HasTextString = "passed" }).WaitForAsync(new() { Timeout = 60_000 });
            await Browser.ScreenshotAsync(page, "queue");
            await page.Locator("[data-testid=queued] [data-testid=queue-cancel]").ClickAsync();
            await page.Locator("[data-testid=queued]").WaitForAsync(new() { State = WaitForSelectorState.Detached });

            await page.GotoAsync("/");
            await page.GetByText("long run").ClickAsync();
            await WaitForPointsAsync(page, 1);
            var asked = DateTime.UtcNow;
            await page.Locator("[data-testid=cancel]").ClickAsync();
            await page.Locator("[data-testid=run-status]", new PageLocatorOptions { HasTextString = "Cancelled" }).WaitForAsync();
            Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(10), $"cancel took {DateTime.UtcNow - asked}");
            Assert.Equal(0, await page.Locator("[data-testid=cancel]").CountAsync());
            await Browser.ScreenshotAsync(page, "cancelled");
        });
    }

    private static async Task<long[]> WaitForPointsAsync(IPage page, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var xs = (await page.EvaluateAsync<JsonElement>(LossPoints)).EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (xs.Length >= atLeast)
            {
                return xs;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the loss chart had {xs.Length} points, expected {atLeast}");
            await Task.Delay(200);
        }
    }
}
