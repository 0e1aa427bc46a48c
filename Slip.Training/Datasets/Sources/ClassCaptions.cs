namespace Slip.Training.Datasets.Sources;

/// <summary>
/// Captions for classification sets: a class name put into a prompt template. The template is picked by the sample's
/// index, so every template is used and a sample's caption never changes.
/// </summary>
public sealed record ClassCaptions(IReadOnlyList<string> ClassNames, IReadOnlyList<string> Templates)
{
    /// <summary>CLIP-style templates used when a dataset brings none.</summary>
    public static IReadOnlyList<string> DefaultTemplates { get; } =
        ["a photo of a {}.", "a photo of the {}.", "a low resolution photo of a {}.", "a close-up photo of a {}."];

    public string Caption(int label, int index) => Templates[index % Templates.Count].Replace("{}", ClassNames[label], StringComparison.Ordinal);
}
