using Slip.Data;
using Slip.Web.Tests;

namespace Slip.E2E;

/// <summary>Every page's controls have names a screen reader announces, and the main actions are reachable with the keyboard.</summary>
public sealed class AccessibilityTests
{
    private const string Unnamed = """
        () => [...document.querySelectorAll('button, a[href], input:not([type=hidden]), textarea, [role=button], [tabindex="0"]')]
            .filter(e => e.offsetParent !== null)
            .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.[0]?.textContent.trim()
                || e.getAttribute('title') || e.getAttribute('placeholder') || e.closest('label')?.textContent.trim()
                || e.closest('.mud-input-control')?.querySelector('label')?.textContent.trim()
                || (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.getAttribute('aria-labelledby')))
            .map(e => e.outerHTML.slice(0, 160))
        """;

    [Fact]
    public async Task EveryPagesControlsAreNamedAndTheLaunchFormWorksFromTheKeyboard()
    {
        await using var live = await LiveApp.StartAsync();
        long runId;
        await using (var db = await live.App.DbAsync())
        {
            var config = SlipAppFactory.TinyRun();
            var run = new Run { Name = "named", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            db.Checkpoints.Add(new Checkpoint { RunId = runId, Epoch = 1, Step = 8, FilePath = "/nonexistent/epoch_001.pt", Bytes = 1, Sha256 = new string('a', 64), CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            await MetricIngest.WriteAsync(db, runId, [new("loss", 8, 1, 2.0, DateTime.UtcNow)]);
        }

        await live.RunAsync("accessibility", async page =>
        {
            foreach (var (url, ready) in new[]
            {
                ("/", "[data-testid=runs-table]"), ($"/runs/{runId}", "[data-testid=evaluation-form]"), ("/runs/new", "[data-testid=launch]"),
                ("/datasets", "[data-testid=datasets-table]"), ("/compare", "[data-testid=compare-table]"), ($"/compare/curves?runs={runId}&metric=loss", "#compare-curves"),
                ("/queue", "[data-testid=running], [data-testid=workers]"), ($"/runs/diff/{runId}/{runId}", "[data-testid=config-diff-empty]"),
            })
            {
                await page.GotoAsync(url);
                await page.Locator(ready).First.WaitForAsync();
                var unnamed = await page.EvaluateAsync<string[]>(Unnamed);
                Assert.True(unnamed.Length == 0, $"{url}: {string.Join("\n", unnamed)}");
            }

            // Keyboard only: from the name field, Tab through the form to the launch button and press Enter.
            await page.GotoAsync("/runs/new");
            await page.Locator("input[data-testid=name]").FocusAsync();
            await page.Keyboard.TypeAsync("keyboard run");
            for (var i = 0; i < 60 && await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-testid')") != "launch"; i++)
            {
                await page.Keyboard.PressAsync("Tab");
            }

            Assert.Equal("launch", await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-testid')"));
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync("**/runs/*");
            await page.GetByText("keyboard run").First.WaitForAsync();
        });
    }
}
