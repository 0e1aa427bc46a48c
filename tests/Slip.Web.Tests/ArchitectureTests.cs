using System.Reflection;
using NetArchTest.Rules;

namespace Slip.Web.Tests;

public sealed class ArchitectureTests
{
    private static string[] SlipReferences(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Slip.", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void TrainingReferencesNothingElseInTheSolution() =>
        Assert.Empty(SlipReferences(typeof(Slip.Training.RunConfig).Assembly));

    [Fact]
    public void DataReferencesNothingElseInTheSolution() =>
        Assert.Empty(SlipReferences(typeof(Slip.Data.SlipDbContext).Assembly));

    [Fact]
    public void WebWiresBothLeaves() =>
        Assert.Equal(["Slip.Data", "Slip.Training"], SlipReferences(typeof(Program).Assembly).Order());

    private static readonly Assembly Web = typeof(Program).Assembly;

    /// <summary>Every type that maps HTTP endpoints (the API's classes, one per feature).</summary>
    private static string[] EndpointTypes() =>
        Web.GetTypes().Where(t => t.Name.EndsWith("Endpoints", StringComparison.Ordinal) || t.Namespace == "Slip.Web.Api").Select(t => t.FullName!).ToArray();

    [Fact]
    public void ComponentsDoNotCallApiEndpoints()
    {
        var endpoints = EndpointTypes();
        Assert.Contains("Slip.Web.Runs.RunEndpoints", endpoints);
        var result = Types.InAssembly(Web).That().ResideInNamespaceMatching(@"^Slip\.Web\.Components(\.|$)").ShouldNot().HaveDependencyOnAny(endpoints).GetResult();
        Assert.True(result.IsSuccessful, "Components that call endpoints: " + string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? []));
    }

    [Fact]
    public void SecurityDoesNotDependOnJobsOrWorkers()
    {
        var result = Types.InAssembly(Web).That().ResideInNamespace("Slip.Web.Security")
            .ShouldNot().HaveDependencyOnAny("Slip.Web.Workers", "Slip.Web.Runs", "Slip.Web.Evaluations").GetResult();
        Assert.True(result.IsSuccessful, "Security types that depend on jobs: " + string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? []));
    }

    [Fact]
    public void WebCodeLivesInFeatureFolders()
    {
        string[] allowed = ["Slip.Web", "Slip.Web.Api", "Slip.Web.Runs", "Slip.Web.Evaluations", "Slip.Web.Datasets", "Slip.Web.Compare", "Slip.Web.Sweeps", "Slip.Web.Workers", "Slip.Web.Security", "Slip.Web.Hosting", "Slip.Web.Live"];
        var strays = Web.GetTypes().Where(t => t.Namespace is { } ns && ns.StartsWith("Slip.Web", StringComparison.Ordinal) && !ns.StartsWith("Slip.Web.Components", StringComparison.Ordinal)
            && !allowed.Contains(ns) && !t.Name.StartsWith('<')).Select(t => t.FullName).ToList();
        Assert.Empty(strays);
    }
}
