using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Slip.Web.Runs;
using Slip.Web.Security;

namespace Slip.Web.Tests;

/// <summary>Who gets in: sign-in, roles, API keys, the one-time setup, and where secrets may come from.</summary>
public sealed partial class AuthTests
{
    private static StringContent Launch() => JsonContent.Create(new LaunchRequest("auth", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(), Slip.Training.RunConfig.JsonOptions))) is var c
        ? new StringContent(c.ReadAsStringAsync().GetAwaiter().GetResult(), System.Text.Encoding.UTF8, "application/json")
        : throw new InvalidOperationException();

    private static HttpClient WithKey(SlipAppFactory app, string key)
    {
        var client = app.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task WhatOneDashboardProtectedAnotherOnTheSameDataFolderReadsSoSignInsSurviveARestart()
    {
        var data = Directory.CreateTempSubdirectory("slip-keys-").FullName;
        var shared = new Dictionary<string, string?> { ["Slip:DataDirectory"] = data };
        string cookie;
        await using (var before = new SlipAppFactory(extra: shared))
        {
            cookie = before.Get<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().CreateProtector("sign-in").Protect("admin");
        }

        await using var after = new SlipAppFactory(extra: shared);

        Assert.Equal("admin", after.Get<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().CreateProtector("sign-in").Unprotect(cookie));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "key-*.xml"));
    }

    [Fact]
    public async Task OfManyRequestsRedeemingTheSetupTokenAtOnceOnlyOneGetsIt()
    {
        var token = new SetupToken();
        var file = Path.Combine(Path.GetTempPath(), $"slip-setup-{Guid.NewGuid():N}");
        var live = token.Issue(file);

        var won = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => token.TryRedeem(live, out var _))));

        Assert.Single(won, w => w);
        Assert.False(token.Active);
        token.Restore(live);                          // the admin could not be created: the token works again
        Assert.True(token.TryRedeem(live, out var again) && again == live);
        File.Delete(file);
    }

    [Fact]
    public async Task TheApiIsLimitedPerUserAndSignInPerClientAsTheConfiguredProxyForwardsIt()
    {
        await using var app = new SlipAppFactory(
            extra: new Dictionary<string, string?> { ["Slip:Limits:ApiPerMinute"] = "3", ["Slip:Limits:SignInPerMinute"] = "1", ["Slip:Proxy:KnownProxies:0"] = "10.0.0.2" },
            services: s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new FromProxy()));
        using var admin = app.CreateClient();
        using var viewer = app.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.ApiKeyFor(Roles.Viewer));

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add((await admin.GetAsync("/api/runs")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
        var limited = await admin.GetAsync("/api/runs");
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Contains("Too many requests from this user", await limited.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/runs")).StatusCode);   // another user has a limit of their own

        // Sign-in posts, per client as the proxy (10.0.0.2) forwards it: one client's posts do not use up another's.
        using var browser = app.AnonymousClient();
        var token = await FormTokenAsync(browser, "/account/login");
        Task<HttpResponseMessage> SignInFromAsync(string client)
        {
            var post = new HttpRequestMessage(HttpMethod.Post, "/account/login") { Content = Form(("_handler", "login"), ("__RequestVerificationToken", token), ("Input.Name", "admin"), ("Input.Password", "a wrong guess")) };
            post.Headers.Add("X-Forwarded-For", client);
            return browser.SendAsync(post);
        }

        Assert.Equal(HttpStatusCode.OK, (await SignInFromAsync("203.0.113.7")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignInFromAsync("198.51.100.4")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInFromAsync("203.0.113.7")).StatusCode);
    }

    /// <summary>Every request arrives from 10.0.0.2, the reverse proxy (the test server has no connection address of its own).</summary>
    private sealed class FromProxy : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(call => context =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.2");
                return call(context);
            });
            next(app);
        };
    }

    [Fact]
    public async Task NothingButHealthAndAssetsIsOpenWithoutSigningIn()
    {
        await using var app = new SlipAppFactory();
        using var anonymous = app.AnonymousClient();

        var api = await anonymous.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("Authorization: Bearer", await api.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/runs", Launch())).StatusCode);
        foreach (var page in new[] { "/", "/runs/new", "/hangfire", "/queue" })
        {
            var response = await anonymous.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
        }

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        var ready = await anonymous.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("queue").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/account/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/app.css")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKey(app, "slip_not-a-real-key").GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task ViewersReadOperatorsActAndOnlyAdminsManageUsers()
    {
        await using var app = new SlipAppFactory();
        using var viewer = WithKey(app, app.ApiKeyFor(Roles.Viewer));
        using var op = WithKey(app, app.ApiKeyFor(Roles.Operator));

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/runs")).StatusCode);
        var refused = await viewer.PostAsync("/api/runs", Launch());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("operator", await refused.Content.ReadAsStringAsync());
        Assert.Equal(0, await (await app.DbAsync()).Runs.CountAsync());

        var launched = await op.PostAsync("/api/runs", Launch());
        Assert.True(launched.StatusCode == HttpStatusCode.Created, $"{launched.StatusCode}: {await launched.Content.ReadAsStringAsync()}");
        var id = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        foreach (var (method, path) in new[] { ("POST", $"/api/runs/{id}/cancel"), ("POST", $"/api/runs/{id}/resume"), ("DELETE", $"/api/runs/{id}"), ("PATCH", $"/api/runs/{id}"), ("POST", "/api/datasets") })
        {
            var response = await viewer.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} answered {response.StatusCode} to a viewer");
        }

        // Delete: refused while queued, then gone with its folder once cancelled.
        Assert.Equal(HttpStatusCode.Conflict, (await op.DeleteAsync($"/api/runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await op.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        var folder = Path.Combine(app.DataDirectory, "runs", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/runs/{id}")).StatusCode);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync($"/api/runs/{id}")).StatusCode);

        // The Hangfire dashboard: any signed-in user may look.
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/hangfire")).StatusCode);

        // Users: the last admin cannot be demoted or deleted.
        var users = app.Get<UserStore>();
        var admin = (await users.ListAsync()).Single(u => u.Role == Roles.Admin);
        Assert.Contains("only admin", await users.SetRoleAsync(admin.Id, Roles.Viewer));
        Assert.Contains("only admin", await users.DeleteAsync(admin.Id));
        Assert.Contains("at least", (await users.CreateAsync("short", "123", Roles.Viewer)).Problem);
        Assert.Contains("already exists", (await users.CreateAsync("ADMIN", "long-enough-password", Roles.Viewer)).Problem);
    }

    [Fact]
    public async Task TheSignInFormNeedsItsAntiforgeryTokenTheRightPasswordAndOnlyRedirectsHome()
    {
        await using var app = new SlipAppFactory();
        using var browser = app.AnonymousClient();

        var token = await FormTokenAsync(browser, "/account/login");
        var noToken = await browser.PostAsync("/account/login", Form(("_handler", "login"), ("Input.Name", "admin"), ("Input.Password", SlipAppFactory.AdminPassword)));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);

        var wrong = await browser.PostAsync("/account/login", Form(("_handler", "login"), ("__RequestVerificationToken", token), ("Input.Name", "admin"), ("Input.Password", "not-the-password")));
        Assert.Contains("Wrong user name or password", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/runs")).StatusCode);

        var right = await browser.PostAsync("/account/login?returnUrl=%2F%2Fevil.example%2F", Form(("_handler", "login"), ("__RequestVerificationToken", token), ("Input.Name", "Admin"), ("Input.Password", SlipAppFactory.AdminPassword)));
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal(("localhost", "/"), (right.Headers.Location!.Host, right.Headers.Location.AbsolutePath));   // home, never the other site
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"), c => c.StartsWith("slip.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/runs")).StatusCode);

        // Signing out is a POST with the token too.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/account/logout", Form())).StatusCode);
        var signedInToken = await FormTokenAsync(browser, "/account/login");
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostAsync("/account/logout", Form(("__RequestVerificationToken", signedInToken)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task ANewPasswordEndsEverySessionSignedInWithTheOldOne()
    {
        await using var app = new SlipAppFactory();
        using var laptop = app.AnonymousClient();
        var token = await FormTokenAsync(laptop, "/account/login");
        Assert.Equal(HttpStatusCode.Redirect, (await laptop.PostAsync("/account/login", Form(("_handler", "login"), ("__RequestVerificationToken", token), ("Input.Name", "admin"), ("Input.Password", SlipAppFactory.AdminPassword)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/api/runs")).StatusCode);
        var users = app.Get<UserStore>();
        var admin = (await users.ListAsync()).Single(u => u.Name == "admin");

        Assert.Null(await users.SetPasswordAsync(admin.Id, "a-brand-new-password"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetAsync("/api/runs")).StatusCode);   // the old session has ended
        Assert.NotNull(await users.VerifyAsync("admin", "a-brand-new-password"));
    }

    [Fact]
    public async Task PasswordsHashedByEarlierSlipsOrWithFewerIterationsStillSignInAndAreRehashedToday()
    {
        await using var app = new SlipAppFactory();
        _ = app.Server;
        var salt = new byte[16];
        var legacy = string.Join('$', "pbkdf2-sha256", "100000", Convert.ToBase64String(salt),
            Convert.ToBase64String(System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("an-old-password", salt, 100_000, System.Security.Cryptography.HashAlgorithmName.SHA256, 32)));
        var weaker = new Microsoft.AspNetCore.Identity.PasswordHasher<Slip.Data.User>().HashPassword(null!, "a-weaker-hash");   // Identity's default 100,000 iterations
        await using (var db = await app.DbAsync())
        {
            db.Users.AddRange(
                new Slip.Data.User { Name = "old", PasswordHash = legacy, Role = Roles.Viewer, CreatedAt = DateTime.UtcNow },
                new Slip.Data.User { Name = "weaker", PasswordHash = weaker, Role = Roles.Viewer, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        Assert.Equal(PasswordCheck.SuccessRehashNeeded, PasswordHashing.Verify("an-old-password", legacy));
        Assert.Equal(PasswordCheck.Failed, PasswordHashing.Verify("a-wrong-password", legacy));
        Assert.Equal(PasswordCheck.SuccessRehashNeeded, PasswordHashing.Verify("a-weaker-hash", weaker));
        var users = app.Get<UserStore>();
        Assert.Null(await users.VerifyAsync("old", "a-wrong-password"));
        Assert.NotNull(await users.VerifyAsync("old", "an-old-password"));
        Assert.NotNull(await users.VerifyAsync("weaker", "a-weaker-hash"));

        await using var after = await app.DbAsync();
        foreach (var user in await after.Users.Where(u => u.Name == "old" || u.Name == "weaker").ToListAsync())
        {
            Assert.Equal(PasswordCheck.Success, PasswordHashing.Verify(user.Name == "old" ? "an-old-password" : "a-weaker-hash", user.PasswordHash));   // re-hashed at today's parameters
        }
    }

    [Fact]
    public async Task FiveWrongPasswordsPauseThatAccountFromThatAddressForFifteenMinutesAndTwentyPauseTheAddress()
    {
        var clock = new ManualClock();
        // The per-minute limit on sign-in posts (its own test) is lifted: this one counts wrong passwords over 15 minutes of a fake clock.
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:Limits:SignInPerMinute"] = "1000" }, services: s => s.AddSingleton<TimeProvider>(clock));
        _ = app.ApiKeyFor(Roles.Viewer);   // a second user, "viewer", with the same password
        using var browser = app.AnonymousClient();
        var token = await FormTokenAsync(browser, "/account/login");
        Task<HttpResponseMessage> SignInAsync(string name, string password) =>
            browser.PostAsync("/account/login", Form(("_handler", "login"), ("__RequestVerificationToken", token), ("Input.Name", name), ("Input.Password", password)));

        for (var i = 0; i < SignInThrottle.PerAccount; i++)
        {
            Assert.Contains("Wrong user name or password", await (await SignInAsync("admin", $"guess {i}")).Content.ReadAsStringAsync());
            clock.Advance(TimeSpan.FromSeconds(10));
        }

        // Even the right password now waits, with the time left (15 minutes from the first of the five).
        var paused = await SignInAsync("Admin", SlipAppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, paused.StatusCode);
        Assert.Contains("Too many wrong passwords from this address. Try again in 15 minutes", await paused.Content.ReadAsStringAsync());
        Assert.Equal(TimeSpan.FromSeconds(850), paused.Headers.RetryAfter!.Delta);
        Assert.False(paused.Headers.Contains("Set-Cookie") && paused.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("slip.auth=", StringComparison.Ordinal)));
        Assert.Contains(app.Logs, line => line.Contains("Failed sign-in as admin from", StringComparison.Ordinal));

        // Another account from the same address is not paused by them.
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync("viewer", SlipAppFactory.AdminPassword)).StatusCode);
        token = await FormTokenAsync(browser, "/account/login");   // the token belongs to the signed-in user now

        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Contains("Try again in 1 minute,", await (await SignInAsync("admin", SlipAppFactory.AdminPassword)).Content.ReadAsStringAsync());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync("admin", SlipAppFactory.AdminPassword)).StatusCode);
        token = await FormTokenAsync(browser, "/account/login");

        // A new password set by an admin ends a pause at once.
        for (var i = 0; i < SignInThrottle.PerAccount; i++)
        {
            await SignInAsync("viewer", "guess");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync("viewer", SlipAppFactory.AdminPassword)).StatusCode);
        var users = app.Get<UserStore>();
        Assert.Null(await users.SetPasswordAsync((await users.ListAsync()).Single(u => u.Name == "viewer").Id, "a-brand-new-password"));
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync("viewer", "a-brand-new-password")).StatusCode);
        token = await FormTokenAsync(browser, "/account/login");
        clock.Advance(TimeSpan.FromMinutes(15));   // the client's count starts afresh too

        // Twenty wrong passwords from one address within 15 minutes, whatever the names, pause every sign-in from it
        // (the five above are older than that now).
        for (var i = 0; i < SignInThrottle.PerClient; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync($"nobody-{i}", "guess")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync("viewer", SlipAppFactory.AdminPassword)).StatusCode);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }

    [Fact]
    public async Task WithoutAConfiguredAdminTheFirstOneIsMadeOnceWithTheSetupToken()
    {
        await using var app = new SlipAppFactory(extra: new Dictionary<string, string?> { ["Slip:Auth:AdminName"] = "", ["Slip:Auth:AdminPassword"] = "" });
        using var browser = app.AnonymousClient();
        _ = app.Server;
        var file = Path.Combine(app.DataDirectory, "setup-token");
        var token = (await File.ReadAllTextAsync(file)).Trim();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : File.GetUnixFileMode(file));
        Assert.Contains(app.Logs, l => l.Contains($"/setup?token={token}", StringComparison.Ordinal));
        Assert.Contains("No user exists yet", await (await browser.GetAsync("/account/login")).Content.ReadAsStringAsync());

        var form = await FormTokenAsync(browser, "/setup");
        var guessed = await browser.PostAsync("/setup", Form(("_handler", "setup"), ("__RequestVerificationToken", form), ("Input.Token", "0123456789abcdef0123456789abcdef"), ("Input.Name", "root"), ("Input.Password", "a-long-password")));
        Assert.Contains("not the current one", await guessed.Content.ReadAsStringAsync());
        Assert.False(await app.Get<UserStore>().AnyAsync());

        var made = await browser.PostAsync("/setup", Form(("_handler", "setup"), ("__RequestVerificationToken", form), ("Input.Token", token), ("Input.Name", "root"), ("Input.Password", "a-long-password")));
        Assert.Equal(HttpStatusCode.Redirect, made.StatusCode);
        Assert.Equal(Roles.Admin, Assert.Single(await app.Get<UserStore>().ListAsync()).Role);
        Assert.False(File.Exists(file));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/runs")).StatusCode);   // signed in as the new admin

        using var other = app.AnonymousClient();
        var again = await other.PostAsync("/setup", Form(("_handler", "setup"), ("__RequestVerificationToken", await FormTokenAsync(other, "/account/login")), ("Input.Token", token), ("Input.Name", "second"), ("Input.Password", "a-long-password")));
        Assert.DoesNotContain("second", (await app.Get<UserStore>().ListAsync()).Select(u => u.Name));
        Assert.Contains("is set up", await (await other.GetAsync("/setup")).Content.ReadAsStringAsync());
        _ = again;
    }

    [Fact]
    public void APasswordInASettingsFileIsRefusedWithWhereToPutItInstead()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("slip-secrets-").FullName, "appsettings.json");
        File.WriteAllText(file, """{ "ConnectionStrings": { "Slip": "Host=db;Username=slip;Password=hunter2;Database=slip" } }""");
        var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
        var refused = Assert.Throws<Slip.Web.Hosting.SlipConfigurationException>(() => Slip.Web.Hosting.SecretSettings.Guard(configuration));
        Assert.Contains("Storage__Password", refused.Message);
        Assert.DoesNotContain("hunter2", refused.Message);

        File.WriteAllText(file, """{ "Slip": { "Auth": { "AdminPassword": "hunter2" } } }""");
        var admin = new ConfigurationBuilder().AddJsonFile(file).Build();
        Assert.Contains("Slip__Auth__AdminPassword", Assert.Throws<Slip.Web.Hosting.SlipConfigurationException>(() => Slip.Web.Hosting.SecretSettings.Guard(admin)).Message);

        // From the environment the password is merged into the connection string.
        var environment = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:Password"] = "hunter2" }).Build();
        Assert.Contains("Password=hunter2", Slip.Web.Hosting.SecretSettings.WithPassword(environment, "Host=db;Username=slip;Database=slip"));
    }

    [Fact]
    public async Task TheAppRefusesToStartWithAPasswordInItsSettingsFile()
    {
        var root = Directory.CreateTempSubdirectory("slip-secrets-app-").FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), """{ "Storage": { "Provider": "Postgres" }, "ConnectionStrings": { "Slip": "Host=127.0.0.1;Password=hunter2" } }""");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = root };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Slip.Web.dll"), "--contentRoot", root, "--urls", "http://127.0.0.1:0", "--Slip:DataDirectory", root })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, process.ExitCode);
        Assert.StartsWith("Slip cannot start:", error);
        Assert.Contains("holds a database password", error);
        Assert.DoesNotContain("hunter2", error);
        Assert.DoesNotContain("   at ", error);
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static async Task<string> FormTokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        return WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value) is { Length: > 0 } token
            ? token
            : throw new InvalidOperationException($"{page} has no anti-forgery token");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
