using System.Text.Json;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Evaluation;

/// <summary>The number the reference reports for a dataset's zero-shot result (eval_zeroshot.py).</summary>
public enum ReportedMetric
{
    Top1,
    MeanPerClass,
    MeanOfTop1AndTop5,
    RocAuc,
}

/// <summary>
/// The reference's zero-shot catalog as SLIP ships it (Evaluation/Catalog: labels.json, templates.json,
/// dataset_catalog.json, MIT; ImageNet's WNIDs from timm, Apache-2.0): per dataset its class names (a list of
/// synonyms for fer2013), its prompt templates, and the metric the paper reports. <c>--catalog imagenet</c> on an
/// ImageNet-style folder (WNID folder names) runs the reference's protocol: SLIP's 7 templates, CLIP's cleaned class
/// names, a 1000-way classifier whatever subset of classes the folder holds.
/// </summary>
public sealed record ZeroShotCatalog(string Key, IReadOnlyList<IReadOnlyList<string>> Classes, IReadOnlyList<string> Templates, ReportedMetric Metric, IReadOnlyList<string>? Wnids)
{
    private static readonly Lazy<Dictionary<string, ZeroShotCatalog>> Entries = new(Load);

    /// <summary>Every dataset the catalog names classes and templates for, in labels.json's order.</summary>
    public static IReadOnlyList<string> Keys => KeyList.Value;

    private static readonly Lazy<IReadOnlyList<string>> KeyList = new(() => [.. Entries.Value.Keys]);

    /// <summary>The catalog's entry for <paramref name="key"/>; a key it does not have is refused with the ones it has.</summary>
    public static ZeroShotCatalog Get(string key) => Entries.Value.TryGetValue(key, out var entry) ? entry
        : throw new FormatException($"The zero-shot catalog has no dataset '{key}'. It has: {string.Join(", ", Entries.Value.Keys)}.");

    /// <summary>
    /// The catalog class of each of an image folder's class folders (in the folder's order): by WNID for ImageNet,
    /// otherwise by position, as the reference's ImageFolder does (the folder count must then be the class count).
    /// </summary>
    public int[] ClassOfFolders(IReadOnlyList<string> folderNames, string folder)
    {
        if (Wnids is not null)
        {
            var index = Wnids.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
            var unknown = folderNames.Where(n => !index.ContainsKey(n)).ToList();
            return unknown.Count == 0 ? folderNames.Select(n => index[n]).ToArray()
                : throw new InvalidDataException($"'{folder}' has class folders that are not ImageNet WNIDs ({string.Join(", ", unknown.Take(3))}{(unknown.Count > 3 ? ", ..." : "")}): --catalog {Key} needs folders named like n01440764.");
        }

        return folderNames.Count == Classes.Count ? Enumerable.Range(0, Classes.Count).ToArray()
            : throw new InvalidDataException($"'{folder}' has {folderNames.Count} class folders but the catalog's {Key} has {Classes.Count} classes.");
    }

    /// <summary>The captions and prompts of this catalog's classes (each class's first name in captions, all its names in prompts).</summary>
    public ClassCaptions Captions => new(Classes.Select(c => c[0]).ToList(), Templates) { Synonyms = Classes };

    private static Dictionary<string, ZeroShotCatalog> Load()
    {
        var labels = Read<Dictionary<string, List<JsonElement>>>("labels.json");
        var templates = Read<Dictionary<string, List<string>>>("templates.json");
        var wnids = Text("imagenet_wnids.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return labels.ToDictionary(kv => kv.Key, kv => new ZeroShotCatalog(
            kv.Key,
            kv.Value.Select(v => v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(s => s.GetString()!).ToList() : (IReadOnlyList<string>)[v.GetString()!]).ToList(),
            templates[kv.Key],
            MetricOf(kv.Key),
            kv.Key == "imagenet" ? wnids : null));
    }

    /// <summary>eval_zeroshot.py's choice of reported metric per dataset; top-1 for the rest.</summary>
    private static ReportedMetric MetricOf(string key) => key switch
    {
        "aircraft" or "pets" or "caltech101" or "flowers" => ReportedMetric.MeanPerClass,
        "kinetics700_frames" => ReportedMetric.MeanOfTop1AndTop5,
        "hateful_memes" => ReportedMetric.RocAuc,
        _ => ReportedMetric.Top1,
    };

    private static T Read<T>(string name) => JsonSerializer.Deserialize<T>(Text(name))!;

    private static string Text(string name)
    {
        using var stream = typeof(ZeroShotCatalog).Assembly.GetManifestResourceStream($"Slip.Training.Catalog.{name}")
            ?? throw new InvalidOperationException($"The built-in zero-shot catalog file '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
