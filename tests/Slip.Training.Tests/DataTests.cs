using Slip.Training.Datasets;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

public class DataTests
{
    [Fact]
    public void TokenizerWrapsBytesInStartAndEndAndPads()
    {
        var ids = ByteTokenizer.Encode("Ab", 6);
        Assert.Equal(new long[] { ByteTokenizer.StartOfText, 'a' + 1, 'b' + 1, ByteTokenizer.EndOfText, 0, 0 }, ids);
    }

    [Fact]
    public void TokenizerKeepsEndOfTextWhenTruncating()
    {
        var ids = ByteTokenizer.Encode(new string('x', 100), 8);
        Assert.Equal(ByteTokenizer.EndOfText, ids[^1]);
        Assert.Equal(ByteTokenizer.StartOfText, ids[0]);
    }

    [Fact]
    public void ShapesAreDeterministicAndCaptionsDescribeThem()
    {
        var a = SyntheticShapes.Generate(20, 24, seed: 5);
        var b = SyntheticShapes.Generate(20, 24, seed: 5);
        var c = SyntheticShapes.Generate(20, 24, seed: 6);
        Assert.Equal(a.Rgb(3), b.Rgb(3));
        Assert.NotEqual(a.Rgb(3), c.Rgb(3));
        for (var i = 0; i < a.Count; i++)
        {
            var className = SyntheticShapes.ClassNames[a.Label(i)];
            Assert.Contains(className, a.Caption(i));
        }
    }

    [Fact]
    public void ShapeColourIsVisibleInThePixels()
    {
        var data = SyntheticShapes.Generate(60, 24, seed: 9);
        var red = Enumerable.Range(0, data.Count).First(i => data.Caption(i).Contains("large red"));
        var rgb = data.Rgb(red);
        var reddish = Enumerable.Range(0, 24 * 24).Count(p => rgb[(p * 3)] > 180 && rgb[(p * 3) + 1] < 90 && rgb[(p * 3) + 2] < 90);
        Assert.True(reddish > 20, $"only {reddish} red pixels in '{data.Caption(red)}'");
    }

    [Fact]
    public void LoaderOrderAndAugmentationsDependOnlyOnSeedAndEpoch()
    {
        var config = TinyConfigs.Slip();
        var data = SyntheticShapes.Generate(32, 24, seed: 1);
        var loader = new ShapesLoader(data, config);
        Assert.Equal(loader.Order(0), loader.Order(0));
        Assert.NotEqual(loader.Order(0), loader.Order(1));
        using var first = loader.Build([1, 2, 3], epoch: 0);
        using var again = loader.Build([1, 2, 3], epoch: 0);
        using var next = loader.Build([1, 2, 3], epoch: 1);
        Assert.True(first.Aug1!.allclose(again.Aug1!, rtol: 0, atol: 0));
        Assert.False(first.Aug1!.allclose(next.Aug1!, rtol: 0, atol: 0));
        Assert.Equal(new long[] { 3, 3, 16, 16 }, first.Image!.shape);
        Assert.Equal(new long[] { 3, 16 }, first.Text!.shape);
    }

    [Fact]
    public void LoaderDropsTheLastPartialBatch()
    {
        var loader = new ShapesLoader(SyntheticShapes.Generate(20, 24, seed: 1), TinyConfigs.Slip(batch: 8));
        var batches = 0;
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                batches++;
            }
        }

        Assert.Equal(2, batches);
    }

    [Fact]
    public void GrayscaleHasEqualChannelsAndHueShiftKeepsGreys()
    {
        using var image = rand(3, 8, 8);
        using var grey = Augmentations.Grayscale(image);
        Assert.True(grey[0].allclose(grey[2]));
        using var shifted = Augmentations.AdjustHue(grey, 0.3);
        Assert.True(shifted.allclose(grey, atol: 1e-5));
        using var rotated = Augmentations.AdjustHue(image, 0.5);
        using var back = Augmentations.AdjustHue(rotated, 0.5);
        Assert.True(back.allclose(image, atol: 1e-4));
    }

    [Fact]
    public void CropBoxStaysInsideTheImageAndRespectsScale()
    {
        var rng = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            var (top, left, h, w) = Augmentations.CropBox(40, 60, 0.5, 1.0, rng);
            Assert.InRange(top, 0, 40 - h);
            Assert.InRange(left, 0, 60 - w);
            Assert.InRange(h * w, (int)(0.45 * 2400), 2400);
        }
    }
}
