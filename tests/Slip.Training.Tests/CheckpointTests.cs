using Slip.Training.Models;

namespace Slip.Training.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("slip-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static RunConfig Micro(Objective objective = Objective.Slip) => new RunConfig { Objective = objective }.WithModelPreset("Micro");

    [Theory]
    [InlineData("weights.pt")]
    [InlineData("weights.safetensors")]
    public void SavedWeightsLoadBackExactly(string file)
    {
        using var model = new SlipModel(Micro());
        var saved = Checkpoints.Save(model, Path.Combine(folder, file));
        using var copy = new SlipModel(Micro());
        Checkpoints.Load(copy, saved.Path);

        var original = model.state_dict();
        foreach (var (key, value) in copy.state_dict())
        {
            Assert.True(value.equal(original[key]).all().item<bool>(), key);
        }

        Assert.All(copy.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(Checkpoints.Sha256Of(saved.Path), saved.Sha256);
    }

    [Fact]
    public void AFileThatIsNotACheckpointIsRefusedWithTheReason()
    {
        var path = Path.Combine(folder, "notes.pt");
        File.WriteAllText(path, "these are my notes, not weights");
        using var model = new SlipModel(Micro());
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoints.Load(model, path));
        Assert.Contains("is not a readable PyTorch state dict", ex.Message);
    }

    [Fact]
    public void WeightsOfAnotherModelAreRefusedAndLeaveTheModelUnchanged()
    {
        using var simclr = new SlipModel(Micro(Objective.SimClr) with { Vision = Micro(Objective.SimClr).Vision with { Width = 64 } });
        var path = Checkpoints.Save(simclr, Path.Combine(folder, "simclr.pt")).Path;
        using var model = new SlipModel(Micro());
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var ex = Assert.Throws<InvalidDataException>(() => Checkpoints.Load(model, path));

        Assert.Contains("missing", ex.Message);
        Assert.Contains("token_embedding.weight", ex.Message);
        Assert.Contains("visual.cls_token is [1, 1, 64] in the file, [1, 1, 32] in the model", ex.Message);
        foreach (var (key, value) in model.state_dict())
        {
            Assert.True(value.equal(before[key]).all().item<bool>(), key);
        }
    }

    [Fact]
    public void AMissingFileSaysWhere()
    {
        using var model = new SlipModel(Micro());
        var ex = Assert.Throws<FileNotFoundException>(() => Checkpoints.Load(model, Path.Combine(folder, "nope.pt")));
        Assert.Contains("nope.pt", ex.Message);
    }
}
