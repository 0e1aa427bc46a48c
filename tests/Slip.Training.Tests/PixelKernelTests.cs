using System.Numerics.Tensors;
using Slip.Training.Datasets;

namespace Slip.Training.Tests;

/// <summary>The vectorised pixel kernels against the scalar code they replace, value for value.</summary>
public sealed class PixelKernelTests
{
    [Theory]
    [InlineData(-25)]
    [InlineData(0)]
    [InlineData(25)]
    public void VectorHueShiftEqualsPillowsScalarConversionOnEvery24BitColour(int steps)
    {
        // 2^24 colours as one 4096 x 4096 image, each as the level / 255 floats the decoder stores; then a few thousand
        // values between levels and outside [0, 1], which are rounded and clamped first.
        const int side = 4096;
        var image = new FloatImage(side, side);
        for (var i = 0; i < image.Plane; i++)
        {
            (image.Pixels[i], image.Pixels[image.Plane + i], image.Pixels[(2 * image.Plane) + i]) = ((i >> 16) / 255f, ((i >> 8) & 255) / 255f, (i & 255) / 255f);
        }

        var rng = new Random(steps + 100);
        for (var i = 0; i < 5000; i++)
        {
            image.Pixels[rng.Next(image.Pixels.Length)] = (float)((rng.NextDouble() * 1.2) - 0.1);
        }

        var expected = (float[])image.Pixels.Clone();
        for (var i = 0; i < image.Plane; i++)
        {
            PilHueShift.ShiftOne(expected, i, image.Plane, steps);
        }

        PilHueShift.Apply(image, steps);
        var mismatches = Enumerable.Range(0, expected.Length).Where(i => expected[i] != image.Pixels[i]).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} values differ from the scalar conversion, the first at {mismatches.FirstOrDefault()}: {(mismatches.Count > 0 ? $"{image.Pixels[mismatches[0]]} for {expected[mismatches[0]]}" : "")}");
    }

    [Theory]
    [InlineData(0.63f)]
    [InlineData(1.37f)]
    public void OnePassColourOpsEqualTheirStepByStepDefinitions(float factor)
    {
        // 37 x 29: the planes end in values that do not fill a vector. Each op once in one pass against its definition
        // as whole-plane steps (multiply, add, clamp), bit for bit.
        var rng = new Random(7);
        var image = new FloatImage(37, 29);
        for (var i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (float)rng.NextDouble();
        }

        var brightness = (float[])image.Pixels.Clone();
        TensorPrimitives.Multiply(brightness, factor, brightness);
        Clamp(brightness);
        Assert.Equal(brightness, Applied(image, x => ImageOps.Brightness(x, factor)));

        var luma = new float[image.Plane];
        ImageOps.Luma(image, luma);
        var mean = (float)(TensorPrimitives.Sum<float>(luma) / luma.Length);
        var contrast = (float[])image.Pixels.Clone();
        TensorPrimitives.Multiply(contrast, factor, contrast);
        TensorPrimitives.Add(contrast, (1 - factor) * mean, contrast);
        Clamp(contrast);
        Assert.Equal(contrast, Applied(image, x => ImageOps.Contrast(x, factor)));

        TensorPrimitives.Multiply(luma, 1 - factor, luma);
        var saturation = (float[])image.Pixels.Clone();
        for (var c = 0; c < 3; c++)
        {
            var plane = saturation.AsSpan(c * image.Plane, image.Plane);
            TensorPrimitives.MultiplyAdd(plane, factor, luma, plane);
        }

        Clamp(saturation);
        Assert.Equal(saturation, Applied(image, x => ImageOps.Saturation(x, factor)));

        static void Clamp(float[] values)
        {
            TensorPrimitives.Max(values, 0f, values);
            TensorPrimitives.Min(values, 1f, values);
        }

        static float[] Applied(FloatImage image, Action<FloatImage> op)
        {
            var copy = new FloatImage(image.Height, image.Width, (float[])image.Pixels.Clone());
            op(copy);
            return copy.Pixels;
        }
    }

    [Fact]
    public void AResampledCropIgnoresWhatItsTargetHeld()
    {
        // The data loader resamples into pooled images: whatever a previous view left there must not leak into the next.
        var rng = new Random(3);
        var source = new FloatImage(50, 70);
        for (var i = 0; i < source.Pixels.Length; i++)
        {
            source.Pixels[i] = (float)rng.NextDouble();
        }

        var fresh = ImageOps.ResizedCrop(source, 5, 9, 40, 48, 24, 24);
        var used = new FloatImage(24, 24, Enumerable.Repeat(float.NaN, (3 * 24 * 24) + 11).ToArray());
        ImageOps.ResizedCrop(source, 5, 9, 40, 48, used);
        Assert.Equal(fresh.Pixels, used.Values.ToArray());
        Assert.True(float.IsNaN(used.Pixels[^1]), "only the image's own values are written");
    }

    [Theory]
    [InlineData(300, 260, 64)]   // shrinking 4-5x: columns first moves fewer values
    [InlineData(40, 30, 64)]     // enlarging: rows first, as Pillow
    public void EitherPassOrderStaysWithinALevelOfPillowsEightBitResize(int h, int w, int size)
    {
        var rng = new Random(h + w);
        var source = new FloatImage(h + 3, w + 5);
        for (var i = 0; i < source.Pixels.Length; i++)
        {
            source.Pixels[i] = rng.Next(256) / 255f;
        }

        var pillow = PilResample.ResizedCropExact(source, 2, 4, h, w, size, size);
        var floats = ImageOps.ResizedCrop(source, 2, 4, h, w, size, size);
        var worst = pillow.Pixels.Zip(floats.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1.01f / 255, $"{worst * 255:F3} levels from Pillow's 8-bit resize");
    }
}
