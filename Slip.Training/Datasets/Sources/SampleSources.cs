namespace Slip.Training.Datasets.Sources;

/// <summary>Opens the source a run config names: a built-in dataset, or a <see cref="DatasetSource"/> within the data roots.</summary>
public static class SampleSources
{
    /// <summary>
    /// The source for <paramref name="config"/>'s training data. Throws <see cref="InvalidDataException"/> with a message
    /// for the user when the location is outside <paramref name="roots"/>, missing, empty or not in the format.
    /// </summary>
    public static ISampleSource Open(RunConfig config, DataRoots roots, bool train = true)
    {
        if (config.Data.Source is not { } data)
        {
            return new ShapesSource(DatasetCatalog.Load(config.Data.Dataset, train ? DataSplit.Train : DataSplit.Test, config.Vision.ImageSize));
        }

        return Open(data, roots);
    }

    public static ISampleSource Open(DatasetSource data, DataRoots roots)
    {
        if (string.IsNullOrWhiteSpace(data.Path))
        {
            throw new InvalidDataException("The dataset has no path.");
        }

        switch (data.Format)
        {
            case DatasetFormats.WebDataset:
                var shards = ShardPattern.Expand(Inside(data.Path, roots, mustExist: false)).Select(s => Inside(s, roots, mustExist: true)).ToList();
                if (shards.Count == 0)
                {
                    throw new InvalidDataException($"'{data.Path}' names no .tar shards.");
                }

                return new WebDatasetSource(shards, data.ShuffleBuffer);
            case DatasetFormats.Csv:
                return CsvManifestSource.Open(Inside(data.Path, roots, mustExist: true), data.ImageColumn, data.CaptionColumn, roots);
            case DatasetFormats.ImageFolder:
                return ImageFolderSource.Open(Inside(data.Path, roots, mustExist: true), roots);
            case DatasetFormats.FashionMnist:
                return FashionMnistSource.Open(Inside(data.Path, roots, mustExist: true), data.Split, roots);
            default:
                throw new InvalidDataException($"Unknown dataset format '{data.Format}'. Known: {string.Join(", ", DatasetFormats.Names)}.");
        }
    }

    /// <summary>The real path of <paramref name="path"/> if it is within the roots (and exists, when asked); else a clear refusal.</summary>
    private static string Inside(string path, DataRoots roots, bool mustExist)
    {
        var real = roots.Resolve(path) ?? throw new InvalidDataException(roots.Refusal(path));
        return !mustExist || File.Exists(real) || Directory.Exists(real) ? real : throw new InvalidDataException($"'{path}' does not exist.");
    }
}
