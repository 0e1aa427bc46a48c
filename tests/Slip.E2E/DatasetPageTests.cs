using Microsoft.Playwright;
using Slip.Tests;

namespace Slip.E2E;

public sealed class DatasetPageTests
{
    [Fact]
    public async Task ADatasetRegisteredInTheBrowserShowsItsSamplesAndCanBeChosenForARun()
    {
        var root = DatasetFiles.TempFolder("e2e-data");
        DatasetFiles.Shard(Path.Combine(root, "00000.tar"), DatasetFiles.Samples(0, 16));
        await using var live = await LiveApp.StartAsync(new Dictionary<string, string?> { ["Slip:DataRoots:0"] = root });
        await live.RunAsync("datasets", async page =>
        {
            await page.GotoAsync("/datasets");
            await page.Locator("[data-testid=datasets-table]").GetByText("shapes-mini").WaitForAsync();
            await page.Locator("input[data-testid=dataset-name]").FillAsync("my-shards");
            await page.Locator("input[data-testid=dataset-path]").FillAsync("/etc/passwd");
            await page.Locator("button[data-testid=register-dataset]").ClickAsync();
            await page.GetByText("outside the data roots").WaitForAsync();
            await page.Locator("[data-testid=register-refused]").WaitForAsync();
            await Browser.ScreenshotAsync(page, "datasets-refused");

            await page.Locator("input[data-testid=dataset-path]").FillAsync(Path.Combine(root, "00000.tar"));
            await page.Locator("button[data-testid=register-dataset]").ClickAsync();
            await page.WaitForURLAsync("**/datasets/my-shards", new() { Timeout = 90_000 });
            await page.Locator("[data-testid=preview-caption]").First.WaitForAsync();
            Assert.Equal(12, await page.Locator("[data-testid=preview-caption]").CountAsync());
            Assert.StartsWith("a ", await page.Locator("[data-testid=preview-caption]").First.InnerTextAsync());
            // Every thumbnail actually loaded (served by the preview endpoint from inside the data root).
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=preview-image]')].every(i => i.complete && i.naturalWidth > 0)");
            await Browser.ScreenshotAsync(page, "dataset");

            await page.GotoAsync("/runs/new");
            await page.Locator("[data-testid=dataset]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasTextString = "my-shards" }).WaitForAsync();
        });
    }
}
