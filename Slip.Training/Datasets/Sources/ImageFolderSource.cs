using System.Text.Json;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// An ImageNet-style folder: one subfolder per class (classes in name order, as torchvision's ImageFolder), images
/// inside. An optional <c>classes.json</c> in the folder gives readable class names and prompt templates:
/// <c>{"classes": ["tench", ...], "templates": ["a photo of a {}.", ...]}</c>; its class count must match the folders.
/// </summary>
public sealed class ImageFolderSource : IndexedSource
{
    private readonly (string Path, int Label)[] files;
    private readonly DataRoots roots;

    private ImageFolderSource((string, int)[] files, ClassCaptions captions, DataRoots roots, IReadOnlyList<string> classFolders)
    {
        this.files = files;
        Captions = captions;
        this.roots = roots;
        ClassFolders = classFolders;
    }

    public ClassCaptions Captions { get; }

    /// <summary>The class folders' names, in label order.</summary>
    public IReadOnlyList<string> ClassFolders { get; }

    /// <summary>
    /// This folder with each class folder's images labelled <paramref name="classOfFolder"/>[folder] among
    /// <paramref name="captions"/>' classes (a zero-shot catalog's, which may hold classes the folder has no images of).
    /// </summary>
    public ImageFolderSource Relabelled(int[] classOfFolder, ClassCaptions captions) =>
        new(files.Select(f => (f.Path, classOfFolder[f.Label])).ToArray(), captions, roots, ClassFolders);

    public override int Length => files.Length;

    /// <summary>Lists the folder; throws <see cref="InvalidDataException"/> when it has no class folders or no images, or classes.json does not match.</summary>
    public static ImageFolderSource Open(string folder, DataRoots? roots = null)
    {
        var classes = Directory.GetDirectories(folder).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
        {
            throw new InvalidDataException($"'{folder}' has no class subfolders; an image folder holds one folder of images per class.");
        }

        var files = classes.SelectMany((c, label) => Directory.EnumerateFiles(c, "*", SearchOption.AllDirectories)
            .Where(f => ImageFiles.Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).Select(f => (f, label))).ToArray();
        if (files.Length == 0)
        {
            throw new InvalidDataException($"'{folder}' has {classes.Length} class folders but no images in them ({string.Join(", ", ImageFiles.Extensions)}).");
        }

        var names = classes.Select(c => System.IO.Path.GetFileName(c).Replace('_', ' ')).ToList();
        IReadOnlyList<string> templates = ClassCaptions.DefaultTemplates;
        var json = System.IO.Path.Combine(folder, "classes.json");
        if (File.Exists(json))
        {
            ClassFile? given;
            try
            {
                given = JsonSerializer.Deserialize<ClassFile>(File.ReadAllText(json), RunConfig.JsonOptions);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"'{json}' is not valid JSON: {ex.Message}", ex);
            }

            if (given?.Classes is { } named)
            {
                names = named.Count == classes.Length ? named.ToList()
                    : throw new InvalidDataException($"'{json}' names {named.Count} classes but '{folder}' has {classes.Length} class folders.");
            }

            templates = given?.Templates is { Count: > 0 } t ? t : templates;
        }

        return new ImageFolderSource(files, new ClassCaptions(names, templates), roots ?? DataRoots.Unrestricted, classes.Select(c => System.IO.Path.GetFileName(c)).ToList());
    }

    public override RawSample Read(int index)
    {
        var (path, label) = files[index];
        var caption = Captions.Caption(label, index);
        if (roots.Resolve(path) is not { } real)
        {
            // A link inside the folder that leads out of the data roots is never followed.
            return new RawSample(System.IO.Path.GetFileName(path), caption, label) { Problem = $"outside the data roots: {path}" };
        }

        try
        {
            return new RawSample(System.IO.Path.GetFileName(path), caption, label) { Encoded = File.ReadAllBytes(real) };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new RawSample(System.IO.Path.GetFileName(path), caption, label) { Problem = $"unreadable: {ex.Message}" };
        }
    }

    private sealed record ClassFile(IReadOnlyList<string>? Classes, IReadOnlyList<string>? Templates);
}
