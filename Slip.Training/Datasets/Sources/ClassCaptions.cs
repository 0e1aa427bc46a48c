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

    /// <summary>Every name of each class (a zero-shot catalog's synonyms, e.g. fer2013's "happy" and "smiling"); null: each class has its one name.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Synonyms { get; init; }

    public string Caption(int label, int index) => Templates[index % Templates.Count].Replace("{}", ClassNames[label], StringComparison.Ordinal);

    /// <summary>The zero-shot prompts of a class: every template with every one of its names.</summary>
    public IEnumerable<string> Prompts(int label) =>
        from name in Synonyms?[label] ?? [ClassNames[label]]
        from template in Templates
        select template.Replace("{}", name, StringComparison.Ordinal);
}
