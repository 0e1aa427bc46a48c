using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Slip.Web.Tests;

namespace Slip.E2E;

/// <summary>The real app on a loopback port with a worker, and a Chromium page pointed at it.</summary>
public sealed class LiveApp : IAsyncDisposable
{
    private LiveApp(SlipAppFactory app, string address, IPlaywright playwright, IBrowser browser, IPage page)
    {
        App = app;
        Address = address;
        Playwright = playwright;
        Browser = browser;
        Page = page;
    }

    public SlipAppFactory App { get; }

    public string Address { get; }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    public IPage Page { get; }

    public static async Task<LiveApp> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var app = new SlipAppFactory(workers: true, extra: settings);
        app.UseKestrel(0);
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var (playwright, browser) = await E2E.Browser.LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = address, AcceptDownloads = true });
        page.SetDefaultTimeout(30_000);
        await SignInAsync(page, SlipAppFactory.AdminName, SlipAppFactory.AdminPassword);
        return new LiveApp(app, address, playwright, browser, page);
    }

    /// <summary>Signs in through the sign-in form, as a user would.</summary>
    public static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.GotoAsync("/account/login");
        await page.Locator("[data-testid=login-name]").FillAsync(name);
        await page.Locator("[data-testid=login-password]").FillAsync(password);
        await page.Locator("[data-testid=login-submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
    }

    /// <summary>An HTTP client for the live app acting as its first admin (API key).</summary>
    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(Address) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", App.ApiKeyFor(Slip.Web.Security.Roles.Admin));
        return client;
    }

    /// <summary>Runs the test body; on failure saves a screenshot named after the test (with SLIP_E2E_SCREENSHOTS).</summary>
    public async Task RunAsync(string name, Func<IPage, Task> body)
    {
        try
        {
            await body(Page);
        }
        catch
        {
            await E2E.Browser.ScreenshotAsync(Page, name + "-failure");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close the browser before the app, so no circuit is left waiting on it (platform notes, Playwright).
        await Browser.CloseAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
    }
}
