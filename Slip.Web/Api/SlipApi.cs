using Slip.Web.Compare;
using Slip.Web.Datasets;
using Slip.Web.Evaluations;
using Slip.Web.Runs;
using Slip.Web.Sweeps;

namespace Slip.Web.Api;

/// <summary>The HTTP API under /api: each feature maps its own endpoints.</summary>
public static class SlipApi
{
    public static IEndpointRouteBuilder MapSlipApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.RequireRateLimiting(Security.RequestLimits.ApiPolicy).SharedAnswers();
        api.MapRunApi();
        api.MapRunTableApi();
        api.MapAttemptApi();
        api.MapEvaluationApi();
        api.MapDatasetApi();
        api.MapCompareApi();
        api.MapSweepApi();
        return app;
    }
}
