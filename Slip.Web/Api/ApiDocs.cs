using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Slip.Web.Api;

/// <summary>
/// The API's OpenAPI document, <c>/openapi/v1.json</c> (for signed-in users and API keys, like the API): every /api
/// endpoint with its summary, parameters, request body, success answer and each error it can give. The answers every
/// endpoint shares (401, 403 where it needs an operator, 429, 503) are declared here; each feature declares its own.
/// </summary>
public static class ApiDocs
{
    public const string Document = "v1";

    /// <summary>Where the document is served: /openapi/v1.json.</summary>
    private const string Route = "/openapi/{documentName}.json";

    public static IServiceCollection AddSlipOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(Document, o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Slip API",
                Version = Document,
                Description = "Runs, metrics, checkpoints, evaluations, datasets, comparisons and sweeps of a Slip dashboard. "
                    + "Send an API key (Account page) as 'Authorization: Bearer KEY'. Errors are problem details: "
                    + "{title, status, detail}, with 'errors' per field for a 400 validation problem.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["apiKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key from the Account page.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] }];
            return Task.CompletedTask;
        }).AddOperationTransformer((operation, context, _) =>
        {
            // A JSON answer that a query parameter can turn into a file: the file's content types, beside the JSON schema.
            var files = context.Description.ActionDescriptor.EndpointMetadata.OfType<FileAlternatives>().SelectMany(f => f.ContentTypes);
            if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse { Content: { } content })
            {
                foreach (var type in files)
                {
                    content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                }
            }

            return Task.CompletedTask;
        }));

    /// <summary>Serves the document to whoever may read the API.</summary>
    public static IEndpointRouteBuilder MapSlipOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(Route)
            .RequireAuthorization()
            .RequireRateLimiting(Security.RequestLimits.ApiPolicy);
        return app;
    }

    /// <summary>The answers every API endpoint can give, whatever it does.</summary>
    public static RouteGroupBuilder SharedAnswers(this RouteGroupBuilder api) => api
        .Answers(StatusCodes.Status401Unauthorized)   // no key or cookie, or a revoked key
        .Answers(StatusCodes.Status429TooManyRequests)   // Slip:Limits:ApiPerMinute
        .Answers(StatusCodes.Status503ServiceUnavailable);   // the database is unreachable

    /// <summary>Requires an operator (or admin), and says the endpoint answers 403 to a viewer.</summary>
    public static RouteHandlerBuilder ForOperators(this RouteHandlerBuilder endpoint) =>
        endpoint.RequireAuthorization(Security.Policies.Operate).Answers(StatusCodes.Status403Forbidden);

    /// <summary>A problem answer (<c>{title, status, detail}</c>) with <paramref name="status"/>.</summary>
    public static TBuilder Answers<TBuilder>(this TBuilder endpoint, int status)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json", "application/json"]));

    /// <summary>A 400 with each error under its field (<c>errors</c>: config keys such as <c>optim.epochs</c>).</summary>
    public static RouteHandlerBuilder AnswersInvalid(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesValidationProblem();

    /// <summary>Says the 200 answer can also be a file in these content types (a <c>format</c> query parameter chooses).</summary>
    public static RouteHandlerBuilder AlsoAsFile(this RouteHandlerBuilder endpoint, params string[] contentTypes) =>
        endpoint.WithMetadata(new FileAlternatives(contentTypes));

    /// <summary>Endpoint metadata: the content types <see cref="AlsoAsFile"/> names.</summary>
    private sealed record FileAlternatives(string[] ContentTypes);

    /// <summary>A success answer with <paramref name="status"/> whose JSON body is a <typeparamref name="TAnswer"/> (its schema is in the document).</summary>
    public static RouteHandlerBuilder Succeeds<TAnswer>(this RouteHandlerBuilder endpoint, string summary, int status = StatusCodes.Status200OK) =>
        endpoint.WithSummary(summary).Produces<TAnswer>(status);

    /// <summary>A success answer with <paramref name="status"/> that is a file in <paramref name="contentType"/>, or has no body (no content type).</summary>
    public static RouteHandlerBuilder Succeeds(this RouteHandlerBuilder endpoint, string summary, int status = StatusCodes.Status200OK, string? contentType = null) =>
        endpoint.WithSummary(summary).Produces(status, contentType: contentType);
}
