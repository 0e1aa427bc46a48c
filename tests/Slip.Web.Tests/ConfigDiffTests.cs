using Slip.Training;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

public sealed class ConfigDiffTests
{
    [Fact]
    public void AFlatStoredConfigAndOneInPartsCompareKeyForKey()
    {
        // A run stored flat (before the parts) against the same run stored in parts: no difference; one knob: one row.
        const string flat = """{"objective": "Slip", "learningRate": 0.003, "visionWidth": 128, "sslMethod": "simclr"}""";
        Assert.Empty(ConfigDiff.Compare(flat, new RunConfig().ToJson()));

        var changed = Assert.Single(ConfigDiff.Compare(flat, (new RunConfig() with { Optim = new OptimConfig { LearningRate = 0.006 } }).ToJson()));
        Assert.Equal(("optim.learningRate", "0.003", "0.006"), (changed.Key, changed.Left, changed.Right));
    }

    [Fact]
    public void JsonThatIsNotARunConfigIsComparedAsItIs()
    {
        var difference = Assert.Single(ConfigDiff.Compare("""{"a": {"b": 1}}""", """{"a": {"b": 2}}"""));
        Assert.Equal("a.b", difference.Key);
    }
}
