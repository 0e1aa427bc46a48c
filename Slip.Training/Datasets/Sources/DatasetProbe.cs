namespace Slip.Training.Datasets.Sources;

/// <summary>One previewed sample: its key, caption and class, and the decoded size or the reason it is unusable.</summary>
public sealed record SamplePreview(string Key, string? Caption, int Label, int Width, int Height, string? Problem);

/// <summary>What registering a dataset learns: its size (from stats files, or counted from shard headers) and a preview.</summary>
public sealed record DatasetSummary(long? Count, IReadOnlyList<SamplePreview> Preview);

/// <summary>
/// Checks a dataset where the user is, before any run: the location is within the roots and exists, the format's
/// structure holds (shards, manifest columns, class folders, IDX files), and its first samples decode. Problems
/// are thrown as <see cref="InvalidDataException"/> with a message that says what to fix.
/// </summary>
public static class DatasetProbe
{
    // countShards: count shards without stats files from their headers (registration); a launch of an already
    // registered dataset leaves it off, since that count is stored.
    public static DatasetSummary Inspect(DatasetSource data, DataRoots roots, int previewCount = 8, bool countShards = true)
    {
        var source = SampleSources.Open(data, roots);
        if (source is WebDatasetSource web)
        {
            foreach (var shard in web.Shards.Take(previewCount))
            {
                if (!WebDatasetSource.ReadShard(shard).Any())
                {
                    throw new InvalidDataException($"The shard '{shard}' holds no samples.");
                }
            }
        }

        var count = source.Count;
        if (count is null && countShards && source is WebDatasetSource shards)
        {
            // No stats files: count from the member headers, which reads only 512 bytes per member.
            count = shards.Shards.Sum(WebDatasetSource.CountSamples);
        }

        if (count == 0)
        {
            throw new InvalidDataException($"'{data.Path}' holds no samples.");
        }

        var preview = new List<SamplePreview>();
        var samples = PreviewSamples(source, previewCount);
        foreach (var sample in samples)
        {
            var (image, problem) = Decode(sample);
            preview.Add(new SamplePreview(sample.Key, sample.Caption, sample.Label, image?.Width ?? 0, image?.Height ?? 0, problem));
        }

        if (preview.Count == 0)
        {
            throw new InvalidDataException($"'{data.Path}' holds no samples.");
        }

        if (preview.All(p => p.Problem is not null))
        {
            throw new InvalidDataException($"None of the first {preview.Count} samples of '{data.Path}' can be used: {preview[0].Problem}.");
        }

        return new DatasetSummary(count, preview);
    }

    /// <summary>The first <paramref name="count"/> samples in storage order (not shuffled): what a preview shows.</summary>
    public static IEnumerable<RawSample> PreviewSamples(ISampleSource source, int count) => source is IndexedSource indexed
        ? Enumerable.Range(0, Math.Min(indexed.Length, count)).Select(indexed.Read)
        : ((WebDatasetSource)source).Shards.SelectMany(WebDatasetSource.ReadShard).Take(count);

    /// <summary>A sample's image at full size, or why it has none.</summary>
    public static (FloatImage? Image, string? Problem) Decode(RawSample sample) =>
        sample.Image is not null ? (sample.Image, null)
        : sample.Problem is not null ? (null, sample.Problem)
        : sample.Encoded is not null ? ImageDecoder.Decode(sample.Encoded, int.MaxValue)
        : (null, "no image");
}
