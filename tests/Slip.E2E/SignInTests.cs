using Microsoft.Playwright;
using Slip.Data;
using Slip.Web.Security;

namespace Slip.E2E;

/// <summary>Signing in and out in the browser, and what a viewer is (not) offered.</summary>
public sealed class SignInTests
{
    [Fact]
    public async Task ResumeASignOutAWrongPasswordAndAViewerWhoSeesRunsButNoControls()
    {
        await using var live = await LiveApp.StartAsync(new Dictionary<string, string?> { ["Slip:Auth:CircuitRevalidationSeconds"] = "1" });
        var runId = await live.App.AddRunAsync("finished run", RunStatus.Failed, r =>
        {
            r.Error = "The trainer process was killed by signal 9 before finishing.";
            r.Worker = "gpu-host/cuda:0";
            r.Tags = ",baseline,";
        });

        _ = live.App.ApiKeyFor(Roles.Viewer);   // makes the user "viewer"
        await live.RunAsync("sign-in", async page =>
        {
            // The admin (signed in by LiveApp) sees the operator's controls on a failed run.
            await page.GotoAsync($"/runs/{runId}");
            await page.Locator("[data-testid=resume]").WaitForAsync();
            Assert.Equal(1, await page.Locator("[data-testid=delete]").CountAsync());

            // Resume: the same run trains again as attempt 2 (it saved no state, so from step 0) and the attempts are listed.
            await page.Locator("[data-testid=resume]").ClickAsync();
            await page.Locator("[data-testid=run-status]", new PageLocatorOptions { HasTextString = "Succeeded" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
            await page.Locator("[data-testid=attempt]").Nth(1).WaitForAsync();
            var attempts = await page.Locator("[data-testid=attempt]").AllInnerTextsAsync();
            Assert.Contains("killed by signal 9", attempts[0]);
            Assert.Contains("Succeeded", attempts[1]);
            Assert.EndsWith($"/runs/{runId}", page.Url);
            await Browser.ScreenshotAsync(page, "resumed");

            // The admin adds an operator and gives the viewer a new password on the Users page.
            await page.GotoAsync("/admin/users");
            await page.Locator("input[data-testid=new-user-name]").FillAsync("ops");
            await page.Locator("input[data-testid=new-user-password]").FillAsync("short");
            await page.Locator("[data-testid=new-user-add]").ClickAsync();
            await page.Locator("[data-testid=new-user-error]", new() { HasTextString = "at least 10 characters" }).WaitForAsync();
            await page.Locator("input[data-testid=new-user-password]").FillAsync("an-operators-password");
            await page.Locator("input[data-testid=new-user-password]").PressAsync("Tab");
            await page.Locator("[data-testid=new-user-add]").ClickAsync();
            await page.Locator("[data-testid=user-row]", new() { HasTextString = "ops" }).WaitForAsync();
            await page.Locator("[data-testid=set-password-user]").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "viewer" }).ClickAsync();
            await page.Locator("input[data-testid=set-password-value]").FillAsync("the-viewers-new-password");
            await page.Locator("input[data-testid=set-password-value]").PressAsync("Tab");
            await page.Locator("[data-testid=set-password]").ClickAsync();
            await page.GetByText("New password set for viewer.").WaitForAsync();

            await page.Locator("[data-testid=account-menu] button").First.ClickAsync();
            Assert.Contains("admin", await page.Locator("[data-testid=account-name]").InnerTextAsync());
            await page.Locator("[data-testid=sign-out]").ClickAsync();
            await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));

            await page.GotoAsync($"/runs/{runId}");   // signed out: sent to sign in, and back afterwards
            await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));
            await page.Locator("[data-testid=login-name]").FillAsync("viewer");
            await page.Locator("[data-testid=login-password]").FillAsync("not the password");
            await page.Locator("[data-testid=login-submit]").ClickAsync();
            await page.Locator("[data-testid=login-error]").WaitForAsync();
            await Browser.ScreenshotAsync(page, "sign-in-error");

            await page.Locator("[data-testid=login-password]").FillAsync("the-viewers-new-password");
            await page.Locator("[data-testid=login-submit]").ClickAsync();
            await page.Locator("[data-testid=run-name]").WaitForAsync();
            Assert.EndsWith($"/runs/{runId}", page.Url);
            await page.Locator("[data-testid=attempts]").WaitForAsync();
            Assert.Equal(0, await page.Locator("[data-testid=resume], [data-testid=delete], [data-testid=clone], [data-testid=add-tag], [data-testid=eval-submit], [data-testid=nav-new-run]").CountAsync());
            Assert.Equal(1, await page.Locator("[data-testid=run-tag]").CountAsync());
            await Browser.ScreenshotAsync(page, "viewer-run");

            await page.GotoAsync("/runs/new");
            await page.Locator("[data-testid=denied]").WaitForAsync();   // the page itself is refused to a viewer

            // An admin makes the viewer an operator: the open page reloads with an operator's controls, unasked.
            await page.GotoAsync($"/runs/{runId}");
            await page.Locator("[data-testid=attempts]").WaitForAsync();
            var users = live.App.Get<UserStore>();
            var viewer = (await users.ListAsync()).Single(u => u.Name == "viewer");
            Assert.Null(await users.SetRoleAsync(viewer.Id, Roles.Operator));
            await page.Locator("[data-testid=delete]").WaitForAsync(new() { Timeout = 30_000 });

            // Deleted, the user is sent to sign in.
            Assert.Null(await users.DeleteAsync(viewer.Id));
            await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = 30_000 });
        });
    }

    [Fact]
    public async Task ANewPasswordOnTheAccountPageSignsEverySessionOutAndGuessingThereIsThrottled()
    {
        await using var live = await LiveApp.StartAsync();
        await live.RunAsync("change-password", async page =>
        {
            async Task ChangeAsync(string current, string replacement)
            {
                await page.Locator("input[data-testid=password-current]").FillAsync(current);
                await page.Locator("input[data-testid=password-new]").FillAsync(replacement);
                await page.Locator("input[data-testid=password-new]").PressAsync("Tab");
                await page.Locator("[data-testid=password-change]").ClickAsync();
            }

            await page.GotoAsync("/account");
            await ChangeAsync("not the password", "a-brand-new-password");
            await page.GetByText("The current password is wrong.").WaitForAsync();
            await ChangeAsync(Slip.Web.Tests.SlipAppFactory.AdminPassword, "a-brand-new-password");
            await page.Locator("[data-testid=password-changed]").WaitForAsync();   // this session ended too: sign in again
            await page.GotoAsync("/runs");
            await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));
            await LiveApp.SignInAsync(page, Slip.Web.Tests.SlipAppFactory.AdminName, "a-brand-new-password");

            await page.GotoAsync("/account");
            for (var i = 0; i < SignInThrottle.PerAccount; i++)
            {
                await ChangeAsync($"guess {i}", "another-new-password");
                await page.GetByText("The current password is wrong.").WaitForAsync();
            }

            await ChangeAsync("a-brand-new-password", "another-new-password");
            await page.GetByText("Too many wrong passwords. Try again in 15 minutes.").WaitForAsync();
        });
    }
}
