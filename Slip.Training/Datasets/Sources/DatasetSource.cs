namespace Slip.Training.Datasets.Sources;

/// <summary>
/// Where a run's images and captions come from, when they are not a built-in dataset: the format and location, and
/// the format's options. Stored in the run config, so a config.json says exactly what was read.
/// </summary>
public sealed record DatasetSource
{
    /// <summary>One of <see cref="DatasetFormats"/>.</summary>
    public string Format { get; init; } = DatasetFormats.WebDataset;

    /// <summary>
    /// webdataset: a shard, a brace pattern (<c>data/{00000..00099}.tar</c>), several joined by <c>::</c>, or a folder of
    /// .tar files; csv: the manifest file; imagefolder: the folder of class subfolders; fashion-mnist: the folder of
    /// IDX files.
    /// </summary>
    public string Path { get; init; } = "";

    /// <summary>csv: the image path column (open_clip's default).</summary>
    public string ImageColumn { get; init; } = "filepath";

    /// <summary>csv: the caption column (open_clip's default).</summary>
    public string CaptionColumn { get; init; } = "title";

    /// <summary>fashion-mnist: "train" or "test" (t10k).</summary>
    public string Split { get; init; } = "train";

    /// <summary>webdataset: samples held for shuffling within the shard stream (webdataset's shuffle buffer).</summary>
    public int ShuffleBuffer { get; init; } = 1000;
}

/// <summary>The dataset formats Slip reads.</summary>
public static class DatasetFormats
{
    public const string WebDataset = "webdataset";
    public const string Csv = "csv";
    public const string ImageFolder = "imagefolder";
    public const string FashionMnist = "fashion-mnist";

    public static IReadOnlyList<string> Names { get; } = [WebDataset, Csv, ImageFolder, FashionMnist];
}
