using Hangfire.Common;
using Slip.Web.Evaluations;
using Slip.Web.Runs;

namespace Slip.Web.Hosting;

/// <summary>
/// Hangfire stores a queued job by its type's name. The two job types moved from <c>Slip.Web.Jobs</c> to their features;
/// jobs queued by an earlier version (a deployment upgraded with runs waiting) still resolve to them.
/// </summary>
public static class MovedJobTypes
{
    private static readonly (string Before, string After)[] Moves =
    [
        ("Slip.Web.Jobs.TrainingJob", typeof(TrainingJob).FullName!),
        ("Slip.Web.Jobs.EvaluationJob", typeof(EvaluationJob).FullName!),
    ];

    /// <summary>The type a stored name means: a moved job type by its earlier name, anything else as Hangfire resolves it.</summary>
    public static Type Resolve(string typeName)
    {
        foreach (var (before, after) in Moves)
        {
            if (typeName.StartsWith(before + ",", StringComparison.Ordinal) || typeName == before)
            {
                typeName = after + typeName[before.Length..];
                break;
            }
        }

        return TypeHelper.DefaultTypeResolver(typeName);
    }
}
