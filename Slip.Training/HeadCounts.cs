using System.Text.Json.Serialization;

namespace Slip.Training;

/// <summary>
/// Attention heads given for a checkpoint (<c>--vision-heads</c>, <c>--text-heads</c>): the head count changes no
/// parameter shape, so weights alone cannot tell a 6-head ViT-S from the reference's 12-head one.
/// </summary>
public sealed record HeadCounts(int? Vision = null, int? Text = null)
{
    public static HeadCounts None { get; } = new();

    /// <summary>What is wrong with these counts for <paramref name="config"/>'s widths: a count must divide its tower's width.</summary>
    public IEnumerable<string> Problems(RunConfig config)
    {
        if (Vision is { } v && (v < 1 || config.Vision.Width % v != 0))
        {
            yield return $"--vision-heads {v} does not divide the vision width {config.Vision.Width}.";
        }

        if (Text is { } t && config.Objective != Objective.SimClr && (t < 1 || config.Text.Width % t != 0))
        {
            yield return $"--text-heads {t} does not divide the text width {config.Text.Width}.";
        }
    }
}

/// <summary>Where a checkpoint's head counts came from, in the order they are looked for.</summary>
public enum HeadSource
{
    /// <summary>--vision-heads / --text-heads.</summary>
    [JsonStringEnumMemberName("given")]
    Given,

    /// <summary>The run's config.json beside the checkpoint.</summary>
    [JsonStringEnumMemberName("config.json")]
    ConfigJson,

    /// <summary>The release's <c>args.model</c> (SLIP_VITS16 is ViT-S/16), its shapes agreeing with the weights.</summary>
    [JsonStringEnumMemberName("release-args")]
    ReleaseArgs,

    /// <summary>The reference's towers, recognised by width and depth.</summary>
    [JsonStringEnumMemberName("reference-table")]
    ReferenceTable,

    /// <summary>Width / 64 (at least 1): nothing said otherwise.</summary>
    [JsonStringEnumMemberName("guessed")]
    Guessed,
}

/// <summary>A checkpoint's config with where each tower's head count came from.</summary>
public sealed record ResolvedHeads(RunConfig Config, HeadSource Vision, HeadSource Text)
{
    /// <summary>A warning naming the flag to pass, when a head count was guessed; null otherwise.</summary>
    public string? Warning
    {
        get
        {
            var guessed = new List<string>();
            if (Vision == HeadSource.Guessed)
            {
                guessed.Add($"{Config.Vision.Heads} vision heads (pass --vision-heads N if that is wrong)");
            }

            if (Text == HeadSource.Guessed && Config.Objective != Objective.SimClr)
            {
                guessed.Add($"{Config.Text.Heads} text heads (pass --text-heads N if that is wrong)");
            }

            return guessed.Count == 0 ? null
                : $"Warning: the weights do not say how many attention heads the model has, and nothing beside them does; assumed {string.Join(" and ", guessed)}.";
        }
    }
}
