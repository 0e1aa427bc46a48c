namespace Slip.Training.Datasets.Sources;

/// <summary>The built-in synthetic shapes as a source: rendered once, held in memory as float images.</summary>
public sealed class ShapesSource(SyntheticShapes data) : IndexedSource
{
    private readonly FloatImage[] images = Enumerable.Range(0, data.Count).Select(i => FloatImage.FromRgb(data.Rgb(i), data.Size, data.Size)).ToArray();

    public override int Length => images.Length;

    public override RawSample Read(int index) => new($"{index:D5}", data.Caption(index), data.Label(index)) { Image = images[index] };
}
