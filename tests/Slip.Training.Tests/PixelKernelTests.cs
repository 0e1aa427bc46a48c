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
}
