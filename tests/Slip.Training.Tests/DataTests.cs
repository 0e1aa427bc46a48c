using Slip.Training.Datasets;

namespace Slip.Training.Tests;

public class DataTests
{
    [Theory]
    [InlineData(55, 110, 224, 224, 448)]     // 224 / 55 * 110 is 447.99... in floating point; torchvision's int(224 * 110 / 55) is 448
    [InlineData(110, 55, 224, 448, 224)]
    [InlineData(375, 500, 224, 224, 298)]
    [InlineData(100, 100, 224, 224, 224)]
    public void EvaluationResizeGivesTorchvisionsShape(int height, int width, int size, int expectedHeight, int expectedWidth) =>
        Assert.Equal((expectedHeight, expectedWidth), Augmentations.ResizedShape(height, width, size));

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
        var loader = new BatchLoader(data, config);
        Assert.Equal(loader.Order(0), loader.Order(0));
        Assert.NotEqual(loader.Order(0), loader.Order(1));
        using var first = loader.Build([1, 2, 3], epoch: 0);
        using var again = loader.Build([1, 2, 3], epoch: 0);
        using var next = loader.Build([1, 2, 3], epoch: 1);
        Assert.True(first.Aug1!.allclose(again.Aug1!, rtol: 0, atol: 0));
        Assert.False(first.Aug1!.allclose(next.Aug1!, rtol: 0, atol: 0));
        Assert.False(first.Aug1!.allclose(first.Aug2!, rtol: 0, atol: 0));
        Assert.Equal(new long[] { 3, 3, 16, 16 }, first.Image!.shape);
        Assert.Equal(new long[] { 3, 77 }, first.Text!.shape);
    }

    [Fact]
    public void LoaderDropsTheLastPartialBatch()
    {
        var loader = new BatchLoader(SyntheticShapes.Generate(20, 24, seed: 1), TinyConfigs.Slip(batch: 8));
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

    private static FloatImage RandomImage(int h, int w, int seed)
    {
        var rng = new Random(seed);
        var image = new FloatImage(h, w);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = rng.Next(256) / 255f; // 8-bit levels, as decoded images have
        }

        return image;
    }

    [Fact]
    public void GrayscaleHasEqualChannelsAndHueShiftKeepsGreys()
    {
        var image = RandomImage(8, 8, 1);
        ImageOps.Grayscale(image);
        Assert.Equal(image.Pixels[..64], image.Pixels[128..192]);
        var before = (float[])image.Pixels.Clone();
        ImageOps.Hue(image, 0.3f);
        // Still grey; Pillow's 8-bit HSV rounds each value to its nearest level.
        Assert.Equal(image.Pixels[..64], image.Pixels[64..128]);
        Assert.All(before.Zip(image.Pixels), p => Assert.InRange(Math.Abs(p.First - p.Second) * 255, 0, 0.5001));
    }

    [Fact]
    public void EightBitHsvMatchesPillowOnPrimariesAndGreys()
    {
        Assert.Equal((0, 255, 255), PilHsv.FromRgb(255, 0, 0));
        Assert.Equal((85, 255, 255), PilHsv.FromRgb(0, 255, 0));   // h = 1/3, truncated: int(0.333 * 255)
        Assert.Equal((170, 255, 255), PilHsv.FromRgb(0, 0, 255));
        Assert.Equal((0, 0, 77), PilHsv.FromRgb(77, 77, 77));
        Assert.Equal((0, 255, 0), PilHsv.ToRgb(85, 255, 255));
        Assert.Equal((128, 64, 64), PilHsv.ToRgb(0, 128, 128));    // p = round(128 * (1 - 128/255)) = 64
    }

    [Fact]
    public void HueShiftOfPureRedByOneThirdGivesGreen()
    {
        var image = new FloatImage(1, 1, [1f, 0f, 0f]);
        ImageOps.Hue(image, 1f / 3);
        Assert.Equal([0f, 1f, 0f], image.Pixels.Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void ResizedCropOfTheWholeImageAtItsOwnSizeIsTheImage()
    {
        var image = RandomImage(6, 6, 3);
        var same = ImageOps.ResizedCrop(image, 0, 0, 6, 6, 6, 6);
        Assert.Equal(image.Pixels, same.Pixels);
    }

    [Fact]
    public void BilinearUpsamplingMatchesTorchInterpolate()
    {
        // F.interpolate([[0, 1]], size=4, mode="bilinear", align_corners=False) gives [0, 0.25, 0.75, 1] per row.
        var image = new FloatImage(1, 2, [0f, 1f, 0f, 1f, 0f, 1f]);
        var up = ImageOps.ResizedCrop(image, 0, 0, 1, 2, 1, 4);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], up.Pixels[..4]);
    }

    [Fact]
    public void BlurKeepsAConstantImageAndSmoothsAnEdge()
    {
        var flat = new FloatImage(8, 8, Enumerable.Repeat(100 / 255f, 192).ToArray());
        ImageOps.GaussianBlur(flat, 1.5f);
        Assert.All(flat.Pixels, v => Assert.Equal(100 / 255f, v, 5));

        var edge = new FloatImage(1, 8, Enumerable.Range(0, 24).Select(i => i % 8 < 4 ? 0f : 1f).ToArray());
        ImageOps.GaussianBlur(edge, 1f);
        Assert.InRange(edge.Pixels[3], 0.05f, 0.5f);
        Assert.InRange(edge.Pixels[4], 0.5f, 0.95f);
    }

    [Fact]
    public void FlipTwiceIsIdentityAndNormalizeUsesImageNetStatistics()
    {
        var image = RandomImage(4, 5, 4);
        var original = (float[])image.Pixels.Clone();
        ImageOps.FlipHorizontal(image);
        Assert.Equal(original[4], image.Pixels[0]);
        ImageOps.FlipHorizontal(image);
        Assert.Equal(original, image.Pixels);

        var grey = new FloatImage(1, 1, [0.485f, 0.456f + 0.224f, 0.406f]);
        ImageOps.Normalize(grey, Augmentations.Mean, Augmentations.Std);
        Assert.Equal([0f, 1f, 0f], grey.Pixels.Select(v => MathF.Round(v, 5)));
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

    [Fact]
    public void BuiltInDatasetsHaveADeterministicValidationSplitApartFromTest()
    {
        var val = DatasetCatalog.Load("shapes-mini", DataSplit.Val, 16);
        var test = DatasetCatalog.Load("shapes-mini", DataSplit.Test, 16);
        Assert.Equal((64, 64), (val.Count, test.Count));
        Assert.Equal(val.Rgb(5), DatasetCatalog.Load("shapes-mini", DataSplit.Val, 16).Rgb(5));
        var testImages = Enumerable.Range(0, test.Count).Select(i => Convert.ToBase64String(test.Rgb(i))).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, val.Count), i => testImages.Contains(Convert.ToBase64String(val.Rgb(i))));
    }
}
