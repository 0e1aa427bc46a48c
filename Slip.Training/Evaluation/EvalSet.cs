using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Evaluation;

/// <summary>
/// Images prepared as the reference evaluates them (Resize + CenterCrop to the model's size, ImageNet normalisation),
/// with their classes and captions: what zero-shot, linear probe and retrieval read.
/// </summary>
public sealed record EvalSet(string Name, IReadOnlyList<FloatImage> Views, int[] Labels, string[] Captions, ClassCaptions Classes)
{
    /// <summary>
    /// Sample i's image as decoded, before any resize, read again from its source on each call (a probe that augments
    /// every epoch decodes each image anew rather than keeping the originals); null where there is no source to read again.
    /// </summary>
    public Func<int, FloatImage>? Original { get; init; }

    /// <summary>Templates for the built-in shapes, whose classes are "red circle", "blue star", ...</summary>
    public static IReadOnlyList<string> ShapeTemplates { get; } = ["a photo of a {}.", "a {}.", "a picture of a {} shape."];

    /// <summary>
    /// The <paramref name="train"/> or held-out split of a built-in dataset or a classification source (Fashion-MNIST,
    /// an image folder), at most <paramref name="limit"/> samples spread evenly over it, in storage order; or the first samples of a caption
    /// set (webdataset, CSV), with no classes.
    /// With a zero-shot <paramref name="catalog"/> (image folders only), classes, names and templates are the catalog's.
    /// </summary>
    public static EvalSet Load(string dataset, DatasetSource? source, bool train, int imageSize, int? limit, DataRoots roots, ZeroShotCatalog? catalog = null) =>
        Load(dataset, source, train ? DataSplit.Train : DataSplit.Test, imageSize, limit, roots, catalog);

    /// <summary>As above, for any split; only the built-in datasets have a validation split so far.</summary>
    public static EvalSet Load(string dataset, DatasetSource? source, DataSplit split, int imageSize, int? limit, DataRoots roots, ZeroShotCatalog? catalog = null)
    {
        var train = split == DataSplit.Train;
        if (source is null)
        {
            var shapes = DatasetCatalog.Load(dataset, split, imageSize);
            var n = Math.Min(shapes.Count, limit ?? int.MaxValue);
            FloatImage Shape(int i) => FloatImage.FromRgb(shapes.Rgb(i), shapes.Size, shapes.Size);
            return new EvalSet(
                dataset,
                Enumerable.Range(0, n).Select(i => Augmentations.EvalView(Shape(i), imageSize)).ToArray(),
                Enumerable.Range(0, n).Select(shapes.Label).ToArray(),
                Enumerable.Range(0, n).Select(shapes.Caption).ToArray(),
                new ClassCaptions(SyntheticShapes.ClassNames, ShapeTemplates))
            { Original = Shape };
        }

        if (split == DataSplit.Val)
        {
            throw new InvalidDataException($"'{dataset}' has no validation split: so far only the built-in datasets ({string.Join(", ", DatasetCatalog.Names)}) have one.");
        }

        // Fashion-MNIST picks its split by name; an image folder is one split (the caller names the train folder).
        var splitSource = source.Format == DatasetFormats.FashionMnist ? source with { Split = train ? "train" : "test" } : source;
        var opened = SampleSources.Open(splitSource, roots);
        if (catalog is not null)
        {
            opened = opened is ImageFolderSource folder
                ? folder.Relabelled(catalog.ClassOfFolders(folder.ClassFolders, source.Path), catalog.Captions)
                : throw new InvalidDataException($"A zero-shot catalog names the classes of an image folder; '{source.Path}' is {source.Format}.");
        }

        var (samples, classes) = opened switch
        {
            FashionMnistSource f => (Indexed(f, limit), new ClassCaptions(FashionMnistSource.ClassNames, FashionMnistSource.Templates)),
            ImageFolderSource folder => (Indexed(folder, limit), folder.Captions),

            // A caption set (webdataset, CSV): its first samples in stream order, for retrieval; it has no classes.
            _ => (DatasetProbe.PreviewSamples(opened, limit ?? EvalRequest.DefaultStreamLimit).Select((s, i) => (s, i)), new ClassCaptions([], ClassCaptions.DefaultTemplates)),
        };
        var views = new List<FloatImage>();
        var labels = new List<int>();
        var captions = new List<string>();
        var kept = new List<int>();
        foreach (var (sample, index) in samples)
        {
            if (DatasetProbe.Decode(sample).Image is { } image)
            {
                views.Add(Augmentations.EvalView(image, imageSize));
                labels.Add(sample.Label);
                captions.Add(sample.Caption ?? "");
                kept.Add(index);
            }
        }

        if (views.Count == 0)
        {
            throw new InvalidDataException($"None of the samples read from '{source.Path}' could be decoded, so there is nothing to evaluate.");
        }

        // An indexed source reads a kept sample again by its index in the source; a stream cannot be read again.
        Func<int, FloatImage>? original = opened is IndexedSource indexed
            ? i => DatasetProbe.Decode(indexed.Read(kept[i])).Image ?? throw new InvalidDataException($"Sample {kept[i]} of '{dataset}' could no longer be decoded.")
            : null;
        return new EvalSet(dataset, views, labels.ToArray(), captions.ToArray(), classes) { Original = original };
    }

    /// <summary>
    /// At most <paramref name="limit"/> samples spread evenly over the source (every length/limit-th): an image folder
    /// is stored class by class, so its first samples would hold its first classes only.
    /// </summary>
    private static IEnumerable<(RawSample Sample, int Index)> Indexed(IndexedSource source, int? limit)
    {
        var count = Math.Min(source.Length, limit ?? int.MaxValue);
        return Enumerable.Range(0, count).Select(i => (int)((long)i * source.Length / count)).Select(index => (source.Read(index), index));
    }
}
