namespace Slip.Data;

/// <summary>
/// A dataset registered once by name and then chosen by that name for runs: its format and location (checked when it
/// was registered), what it holds and a preview of its first samples.
/// </summary>
public class RegisteredDataset
{
    public long Id { get; set; }

    /// <summary>Unique; what runs and the New Run form call it.</summary>
    public string Name { get; set; } = "";

    public string Format { get; set; } = "";

    /// <summary>The path or shard pattern, as given.</summary>
    public string Location { get; set; } = "";

    /// <summary>The full source description (format options included) as the trainer reads it, JSON.</summary>
    public string SourceJson { get; set; } = "{}";

    /// <summary>Samples in one pass, when known.</summary>
    public long? SampleCount { get; set; }

    /// <summary>The first samples' keys, captions, classes and sizes, JSON.</summary>
    public string PreviewJson { get; set; } = "[]";

    public string? Description { get; set; }

    /// <summary>
    /// The classification set (an image folder or Fashion-MNIST, as a source JSON) that runs on this dataset validate
    /// on (<c>eval.val</c>, which sweeps select on), when the dataset has no classes of its own; null for none.
    /// </summary>
    public string? ValJson { get; set; }

    /// <summary>The classification set runs on this dataset are tested on (<c>eval.test</c>), likewise; null for none.</summary>
    public string? TestJson { get; set; }

    public DateTime CreatedAt { get; set; }
}
