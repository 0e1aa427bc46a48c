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
    public async Task EveryJsonAnswerHasASchema()
    {
        await using var app = new SlipAppFactory();
        var document = await DocumentAsync(app);
        var problems = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                foreach (var answer in operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')))
                {
                    if (answer.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json)
                        && (!json.TryGetProperty("schema", out var schema) || !schema.EnumerateObject().Any()))
                    {
                        problems.Add($"{operation.Name.ToUpperInvariant()} {path.Name} {answer.Name}: JSON without a schema");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        var compare = Responses(document, "GET", "/api/compare").GetProperty("200").GetProperty("content");
        Assert.True(compare.TryGetProperty("text/csv", out _) && compare.TryGetProperty("application/x-tex", out _), $"/api/compare's file formats are not described: {compare}");
    }

    [Fact]
    public async Task WhatTheApiSendsIsWhatItsSchemaNames()
    {
        await using var app = new SlipAppFactory();
        var document = await DocumentAsync(app);
        using var admin = app.CreateClient();
        var runId = await app.AddRunAsync("described", Slip.Data.RunStatus.Succeeded);
        await using (var db = await app.DbAsync())
        {
            db.Checkpoints.Add(new Slip.Data.Checkpoint { RunId = runId, Epoch = 1, Step = 8, FilePath = "/nowhere/epoch_001.pt", Bytes = 3, Sha256 = "abc", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            await Slip.Data.MetricIngest.WriteAsync(db, runId, [new("loss", 4, 1, 2.5, DateTime.UtcNow), new("loss", 8, 2, 1.5, DateTime.UtcNow)]);
        }

        var gets = new[]
        {
            ("/api/runs/{id}", $"/api/runs/{runId}"),
            ("/api/runs", "/api/runs?metrics=loss"),
            ("/api/runs/{id}/summaries", $"/api/runs/{runId}/summaries"),
            ("/api/runs/{id}/metrics/{name}", $"/api/runs/{runId}/metrics/loss"),
            ("/api/runs/{id}/series/{name}", $"/api/runs/{runId}/series/loss"),
            ("/api/runs/{id}/attempts", $"/api/runs/{runId}/attempts"),
            ("/api/runs/{left}/diff/{right}", $"/api/runs/{runId}/diff/{runId}?all=true"),
            ("/api/compare", "/api/compare"),
        };
        foreach (var (path, url) in gets)
        {
            var answer = JsonDocument.Parse(await admin.GetStringAsync(url)).RootElement;
            var ok = Responses(document, "GET", path).GetProperty("200");
            var schema = default(JsonElement);
            Assert.True(ok.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json) && json.TryGetProperty("schema", out schema), $"GET {path}: no JSON schema in {ok}");
            var problems = new List<string>();
            Check(document, schema, answer, path, problems);
            Assert.True(problems.Count == 0, string.Join('\n', problems));
        }
    }

    /// <summary>Every property the answer has is one its schema names, recursively (objects, arrays, dictionaries).</summary>
    private static void Check(JsonElement document, JsonElement schema, JsonElement value, string where, List<string> problems)
    {
        schema = Resolve(document, schema);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when schema.TryGetProperty("properties", out var properties):
                foreach (var property in value.EnumerateObject())
                {
                    if (!properties.TryGetProperty(property.Name, out var inner))
                    {
                        problems.Add($"{where}: '{property.Name}' is sent but not in the schema");
                        continue;
                    }

                    Check(document, inner, property.Value, $"{where}.{property.Name}", problems);
                }

                break;
            case JsonValueKind.Object when schema.TryGetProperty("additionalProperties", out var values):
                foreach (var property in value.EnumerateObject())
                {
                    Check(document, values, property.Value, $"{where}[{property.Name}]", problems);
                }

                break;
            case JsonValueKind.Object:
                problems.Add($"{where}: an object is sent, the schema describes none");
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out var items):
                foreach (var item in value.EnumerateArray())
                {
                    Check(document, items, item, $"{where}[]", problems);
                }

                break;
            case JsonValueKind.Array:
                problems.Add($"{where}: an array is sent, the schema describes none");
                break;
        }
    }

    /// <summary>A schema with its reference followed, and a nullable union (oneOf/anyOf with null) reduced to its other part.</summary>
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        while (true)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
            }
            else if ((schema.TryGetProperty("oneOf", out var union) || schema.TryGetProperty("anyOf", out union))
                && union.EnumerateArray().FirstOrDefault(s => !(s.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null")) is { ValueKind: JsonValueKind.Object } other)
            {
                schema = other;
            }
            else
            {
                return schema;
            }
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
