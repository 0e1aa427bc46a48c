using System.Reflection;

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
}
