namespace Slip.Training.Datasets.Sources;

/// <summary>
/// One sample as a source yields it, before decoding: encoded image bytes (or an already decoded image, for sources
/// held in memory), the caption and, for classification sets, the class. <see cref="Problem"/> says why the sample
/// cannot be used (no image in a shard sample, a file that cannot be read); the loader skips and counts those.
/// </summary>
public sealed record RawSample(string Key, string? Caption, int Label = -1)
{
    public byte[]? Encoded { get; init; }

    public FloatImage? Image { get; init; }

    public string? Problem { get; init; }
}
