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

    /// <summary>A success answer with <paramref name="status"/>, in <paramref name="contentType"/> (JSON unless said).</summary>
    public static RouteHandlerBuilder Succeeds(this RouteHandlerBuilder endpoint, string summary, int status = StatusCodes.Status200OK, string contentType = "application/json") =>
        endpoint.WithSummary(summary).Produces(status, contentType: status == StatusCodes.Status204NoContent ? null : contentType);
}
