using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Evaluation;

/// <summary>
/// Images prepared as the reference evaluates them (Resize + CenterCrop to the model's size, ImageNet normalisation),
/// with their classes and captions: what zero-shot, linear probe and retrieval read.
/// </summary>
public sealed record EvalSet(string Name, IReadOnlyList<FloatImage> Views, int[] Labels, string[] Captions, ClassCaptions Classes)
{
    /// <summary>Templates for the built-in shapes, whose classes are "red circle", "blue star", ...</summary>
    public static IReadOnlyList<string> ShapeTemplates { get; } = ["a photo of a {}.", "a {}.", "a picture of a {} shape."];

    /// <summary>
    /// The <paramref name="train"/> or held-out split of a built-in dataset or a classification source (Fashion-MNIST,
    /// an image folder), at most <paramref name="limit"/> samples, in storage order.
    /// </summary>
    public static EvalSet Load(string dataset, DatasetSource? source, bool train, int imageSize, int? limit, DataRoots roots)
    {
        if (source is null)
        {
            var shapes = DatasetCatalog.Load(dataset, train, imageSize);
            var n = Math.Min(shapes.Count, limit ?? int.MaxValue);
            return new EvalSet(
                dataset,
                Enumerable.Range(0, n).Select(i => Augmentations.EvalView(FloatImage.FromRgb(shapes.Rgb(i), shapes.Size, shapes.Size), imageSize)).ToArray(),
                Enumerable.Range(0, n).Select(shapes.Label).ToArray(),
                Enumerable.Range(0, n).Select(shapes.Caption).ToArray(),
                new ClassCaptions(SyntheticShapes.ClassNames, ShapeTemplates));
        }

        // Fashion-MNIST picks its split by name; an image folder is one split (the caller names the train folder).
        var split = source.Format == DatasetFormats.FashionMnist ? source with { Split = train ? "train" : "test" } : source;
        var opened = SampleSources.Open(split, roots);
        var (indexed, classes) = opened switch
        {
            FashionMnistSource f => ((IndexedSource)f, new ClassCaptions(FashionMnistSource.ClassNames, FashionMnistSource.Templates)),
            ImageFolderSource folder => (folder, folder.Captions),
            _ => throw new InvalidDataException($"'{dataset}' is not a classification dataset (Fashion-MNIST or an image folder); zero-shot and linear probes need classes."),
        };
        var views = new List<FloatImage>();
        var labels = new List<int>();
        var captions = new List<string>();
        foreach (var sample in Enumerable.Range(0, Math.Min(indexed.Length, limit ?? int.MaxValue)).Select(indexed.Read))
        {
            if (DatasetProbe.Decode(sample).Image is { } image)
            {
                views.Add(Augmentations.EvalView(image, imageSize));
                labels.Add(sample.Label);
                captions.Add(sample.Caption ?? "");
            }
        }

        return new EvalSet(dataset, views, labels.ToArray(), captions.ToArray(), classes);
    }
}
