using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Tests;

/// <summary>Slip's JPEG decoding against PIL's, which the reference reads images with (Fixtures/jpeg, reference/make_jpeg_fixtures.py).</summary>
public sealed class JpegDecodeTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "jpeg");

    public static TheoryData<string, bool> Cases() => new()
    {
        { "baseline-420.jpg", false }, { "baseline-420.jpg", true },
        { "progressive-444.jpg", false }, { "progressive-444.jpg", true },
        { "grey.jpg", false }, { "grey.jpg", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void JpegsDecodeToPilsPixelsExactlyAtFullAndHalfScale(string file, bool half)
    {
        Assert.True(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is missing (Debian's libturbojpeg0; ./test.sh installs it)");
        var (height, width, expected) = Expected(file, half);
        var jpeg = File.ReadAllBytes(Path.Combine(Folder, file));
        var (image, problem) = ImageDecoder.Decode(jpeg, half ? height : int.MaxValue);
        Assert.Null(problem);
        Assert.Equal((height, width), (image!.Height, image.Width));
        var levels = Levels(image);
        var differing = Enumerable.Range(0, expected.Length).Count(i => levels[i] != expected[i]);
        Assert.True(differing == 0, $"{differing} of {expected.Length} values differ from PIL's decode");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SkiaWhereLibjpegTurboIsMissingGivesPilsPixelsToo(string file, bool half)
    {
        var (height, width, expected) = Expected(file, half);
        var (image, problem) = ImageDecoder.DecodeWithSkia(File.ReadAllBytes(Path.Combine(Folder, file)), half ? height : int.MaxValue);
        Assert.Null(problem);
        Assert.Equal((height, width), (image!.Height, image.Width));
        Assert.Equal(expected, Levels(image));
    }

    [Fact]
    public void ATruncatedJpegIsRefusedAsTruncated()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(Folder, "baseline-420.jpg"));
        var (image, problem) = ImageDecoder.Decode(jpeg[..(jpeg.Length / 2)], int.MaxValue);
        Assert.Null(image);
        Assert.Equal("truncated image data", problem);
    }

    [Fact]
    public void ACmykJpegIsDecodedBySkia()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(Folder, "cmyk.jpg"));
        Assert.Null(TurboJpeg.TryDecode(jpeg, int.MaxValue, rent: false));
        var (image, problem) = ImageDecoder.Decode(jpeg, int.MaxValue);
        Assert.Null(problem);
        Assert.Equal((61, 97), (image!.Height, image.Width));
    }

    [Fact]
    public void AJpegDeclaringMorePixelsThanTheLimitIsRefusedFromItsHeader()
    {
        // The baseline fixture with its frame header (SOF0: FF C0, length, precision, height, width) saying 30,000 x 30,000.
        var jpeg = File.ReadAllBytes(Path.Combine(Folder, "baseline-420.jpg"));
        var sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        foreach (var at in new[] { sof + 5, sof + 7 })
        {
            (jpeg[at], jpeg[at + 1]) = (30_000 >> 8, 30_000 & 0xFF);
        }

        Assert.NotNull(TurboJpeg.TryDecode(jpeg, 224, rent: false));              // refused on the fast path, not passed on
        var (image, problem) = ImageDecoder.Decode(jpeg, 224);
        Assert.Null(image);
        Assert.Equal("30000 x 30000 pixels, more than the 89,478,485 an image may have (a decompression bomb?)", problem);
    }

    /// <summary>PIL's decode as channel-major levels (the layout of <see cref="FloatImage"/>).</summary>
    private static (int Height, int Width, int[] Levels) Expected(string file, bool half)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var found = json.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("file").GetString() == file && c.GetProperty("half").GetBoolean() == half);
        var shape = found.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var hwc = found.GetProperty("rgb").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var (h, w) = (shape[0], shape[1]);
        var chw = new int[hwc.Length];
        for (var p = 0; p < h * w; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                chw[(c * h * w) + p] = hwc[(3 * p) + c];
            }
        }

        return (h, w, chw);
    }

    private static int[] Levels(FloatImage image) => image.Values.ToArray().Select(v => (int)MathF.Round(v * 255)).ToArray();
}
