using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Slip.Web.Security;

namespace Slip.Web.Tests;

/// <summary>The API's OpenAPI document against the app's own endpoints, and against what the API really answers.</summary>
public sealed class OpenApiTests
{
    private static async Task<JsonElement> DocumentAsync(SlipAppFactory app)
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The OpenAPI path of a route: parameters without their constraints.</summary>
    private static string PathOf(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new InvalidOperationException(part.GetType().Name),
        }))));

    private static JsonElement Responses(JsonElement document, string method, string path) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("responses");

    [Fact]
    public async Task EveryApiEndpointIsDescribedWithItsSummarySuccessAndTheErrorsItCanGive()
    {
        await using var app = new SlipAppFactory();
        var document = await DocumentAsync(app);
        var endpoints = app.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Path: PathOf(e.RoutePattern), Endpoint: e)))
            .ToList();
        Assert.True(endpoints.Count >= 33, $"only {endpoints.Count} API endpoints found");

        var problems = new List<string>();
        foreach (var (method, path, endpoint) in endpoints)
        {
            if (!document.GetProperty("paths").TryGetProperty(path, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out var operation))
            {
                problems.Add($"{method} {path}: not in the document");
                continue;
            }

            var answers = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
            var expected = new List<string> { "401", "429", "503" };
            if (endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Policies.Operate))
            {
                expected.Add("403");
            }

            if (!operation.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString()))
            {
                problems.Add($"{method} {path}: no summary");
            }

            if (!answers.Any(a => a.StartsWith('2')))
            {
                problems.Add($"{method} {path}: no success answer");
            }

            problems.AddRange(expected.Where(e => !answers.Contains(e)).Select(e => $"{method} {path}: {e} is not described"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal("Slip API", document.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task WhatTheApiAnswersToMistakesIsWhatTheDocumentSays()
    {
        await using var app = new SlipAppFactory();
        var document = await DocumentAsync(app);
        using var admin = app.CreateClient();
        using var viewer = app.AnonymousClient();
        viewer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.ApiKeyFor(Roles.Viewer));
        using var anonymous = app.AnonymousClient();
        var runId = await app.AddRunAsync("finished", Slip.Data.RunStatus.Succeeded);

        var calls = new (string Method, string Path, Func<Task<HttpResponseMessage>> Call, HttpStatusCode Expected)[]
        {
            ("GET", "/api/runs/{id}", () => admin.GetAsync("/api/runs/987654"), HttpStatusCode.NotFound),
            ("POST", "/api/runs", () => admin.PostAsJsonAsync("/api/runs", new { config = new { optim = new { epochs = -1 } } }), HttpStatusCode.BadRequest),
            ("GET", "/api/runs/{id}/series/{name}", () => admin.GetAsync($"/api/runs/{runId}/series/loss?smoothing=bogus"), HttpStatusCode.BadRequest),
            ("POST", "/api/runs/{id}/cancel", () => admin.PostAsync($"/api/runs/{runId}/cancel", null), HttpStatusCode.Conflict),
            ("DELETE", "/api/runs/{id}", () => viewer.DeleteAsync($"/api/runs/{runId}"), HttpStatusCode.Forbidden),
            ("GET", "/api/runs", () => anonymous.GetAsync("/api/runs"), HttpStatusCode.Unauthorized),
            ("GET", "/api/compare", () => admin.GetAsync("/api/compare?format=xls"), HttpStatusCode.BadRequest),
            ("GET", "/api/datasets/{name}", () => admin.GetAsync("/api/datasets/nothing-here"), HttpStatusCode.NotFound),
        };
        foreach (var (method, path, call, expected) in calls)
        {
            var response = await call();
            Assert.True(expected == response.StatusCode, $"{method} {path} answered {response.StatusCode}, not {expected}");
            Assert.True(Responses(document, method, path).TryGetProperty(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), out _), $"{method} {path} answers {(int)expected}, which the document does not describe");
        }
    }

    [Fact]
    public async Task TheDocumentIsClosedToAnonymousUsers()
    {
        await using var app = new SlipAppFactory();
        using var anonymous = app.AnonymousClient();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("\"paths\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
