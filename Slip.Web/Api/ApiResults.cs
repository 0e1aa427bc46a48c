using Slip.Training;

namespace Slip.Web.Api;

/// <summary>The API's problem answers, the same for every feature.</summary>
public static class ApiResults
{
    /// <summary>A 404 problem with the reason.</summary>
    public static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound);

    /// <summary>A 400 validation problem with each error under its field (config keys such as <c>optim.epochs</c>).</summary>
    public static IResult Invalid(IEnumerable<ConfigError> errors) =>
        Results.ValidationProblem(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()));
}
