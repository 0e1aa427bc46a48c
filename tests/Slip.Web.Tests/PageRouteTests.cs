using System.Net;

namespace Slip.Web.Tests;

/// <summary>Where the pages answer.</summary>
[Collection("hosts")]
public sealed class PageRouteTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/runs")]
    public async Task TheRunsListAnswersAtTheRootAndAtRuns(string path)
    {
        await using var app = new SlipAppFactory();

        using var signedIn = app.CreateClient();
        var page = await signedIn.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("_framework/blazor.web.js", await page.Content.ReadAsStringAsync());   // the interactive app, not a JSON 404

        using var anonymous = app.AnonymousClient();
        var redirect = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("/account/login", redirect.Headers.Location!.PathAndQuery);
    }
}
