namespace Slip.Training.Datasets;

/// <summary>A built-in dataset: its name, description and the size of its train and held-out splits.</summary>
public sealed record BuiltInDataset(string Name, string Description, int TrainCount, int HeldOutCount, int Seed);

/// <summary>The datasets that ship with Slip and need no download.</summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<BuiltInDataset> BuiltIn { get; } =
    [
        new("shapes", "Synthetic captioned shapes: 2,048 train / 512 held-out images rendered in code", 2048, 512, 17),
        new("shapes-mini", "Synthetic captioned shapes, small: 256 train / 64 held-out images (smoke tests)", 256, 64, 23),
    ];

    public static IEnumerable<string> Names => BuiltIn.Select(d => d.Name);

    public static BuiltInDataset Find(string name) =>
        BuiltIn.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Renders a split of a built-in dataset at 1.5x the model's image size, so random crops have detail to keep.</summary>
    public static SyntheticShapes Load(string name, bool train, int imageSize)
    {
        var d = Find(name);
        var renderSize = imageSize * 3 / 2;
        return SyntheticShapes.Generate(train ? d.TrainCount : d.HeldOutCount, renderSize, train ? d.Seed : d.Seed + 1_000_000);
    }
}
