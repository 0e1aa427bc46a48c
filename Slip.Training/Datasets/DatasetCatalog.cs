using System.Text.Json.Serialization;

namespace Slip.Training.Datasets;

/// <summary>
/// A dataset's splits: what training reads, what selection reads (hyper-parameters, sweeps), and what results are
/// reported on. Validation and test never overlap, so a config chosen on one is scored on data it was not chosen on.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataSplit>))]
public enum DataSplit
{
    [JsonStringEnumMemberName("train")] Train,
    [JsonStringEnumMemberName("val")] Val,
    [JsonStringEnumMemberName("test")] Test,
}

/// <summary>
/// A built-in dataset: its name, description and split sizes. Each split is rendered from its own seed (train: Seed,
/// test: Seed + 1,000,000, val: Seed + 2,000,000), so the splits are deterministic and independent; the validation
/// split is as large as the test split.
/// </summary>
public sealed record BuiltInDataset(string Name, string Description, int TrainCount, int HeldOutCount, int Seed)
{
    public int Count(DataSplit split) => split == DataSplit.Train ? TrainCount : HeldOutCount;

    public int SeedOf(DataSplit split) => split switch
    {
        DataSplit.Train => Seed,
        DataSplit.Test => Seed + 1_000_000,
        _ => Seed + 2_000_000,
    };
}

/// <summary>The datasets that ship with Slip and need no download.</summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<BuiltInDataset> BuiltIn { get; } =
    [
        new("shapes", "Synthetic captioned shapes: 2,048 train / 512 validation / 512 test images rendered in code", 2048, 512, 17),
        new("shapes-mini", "Synthetic captioned shapes, small: 256 train / 64 validation / 64 test images (smoke tests)", 256, 64, 23),
    ];

    public static IEnumerable<string> Names => BuiltIn.Select(d => d.Name);

    public static BuiltInDataset Find(string name) =>
        BuiltIn.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Renders a split of a built-in dataset at 1.5x the model's image size, so random crops have detail to keep.</summary>
    public static SyntheticShapes Load(string name, DataSplit split, int imageSize)
    {
        var d = Find(name);
        return SyntheticShapes.Generate(d.Count(split), imageSize * 3 / 2, d.SeedOf(split));
    }
}
