using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// Decodes encoded images (JPEGs with libjpeg-turbo where it is installed, see <see cref="TurboJpeg"/>, the rest and
/// otherwise with SkiaSharp), at a reduced scale where the codec allows it (JPEG's DCT scaling to 1/2,
/// 1/4 or 1/8) while the shorter side stays at least <c>minShortSide</c>: a 1024 x 768 photo for a 224-pixel model
/// decodes at 512 x 384, for a quarter of the work. Truncated and undecodable data are refused, not filled in, and so
/// is an image that declares more than <see cref="MaxPixels"/>.
/// </summary>
public static class ImageDecoder
{
    /// <summary>
    /// The most pixels an image may declare (Pillow's decompression-bomb limit, 89.5 million, e.g. 9,460 x 9,460): a
    /// few bytes claiming 100,000 x 100,000 pixels are refused before anything is allocated.
    /// </summary>
    public const long MaxPixels = 89_478_485;

    /// <summary>
    /// The decoded image, or the reason it could not be decoded: JPEGs through libjpeg-turbo where it is installed
    /// (<see cref="TurboJpeg"/>, PIL's decoder), everything else through Skia. <paramref name="rent"/> takes its pixels
    /// from the pool: the caller gives them back with <see cref="FloatImage.Return"/> once done with the image.
    /// </summary>
    public static (FloatImage? Image, string? Problem) Decode(byte[] encoded, int minShortSide, bool rent = false) =>
        TurboJpeg.TryDecode(encoded, minShortSide, rent) ?? DecodeWithSkia(encoded, minShortSide, rent);

    /// <summary>Why an image of <paramref name="width"/> x <paramref name="height"/> is refused, or null when it is not too large.</summary>
    public static string? TooManyPixels(int width, int height) => (long)width * height > MaxPixels
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{width} x {height} pixels, more than the {MaxPixels:N0} an image may have (a decompression bomb?)")
        : null;

    /// <summary>
    /// The size to decode a width x height image at: the smallest DCT reduction (1/8, 1/4, then 1/2; the codec's
    /// <paramref name="reducedBy"/> gives the size at each) whose shorter side is still at least
    /// <paramref name="minShortSide"/>, else the full size.
    /// </summary>
    public static (int Width, int Height) DecodeSize(int width, int height, int minShortSide, Func<int, (int Width, int Height)> reducedBy)
    {
        foreach (var denominator in new[] { 8, 4, 2 })
        {
            var (w, h) = reducedBy(denominator);
            if (Math.Min(w, h) >= minShortSide && w < width)
            {
                return (w, h);
            }
        }

        return (width, height);
    }

    /// <summary>As <see cref="Decode"/>, through Skia whatever the format.</summary>
    public static (FloatImage? Image, string? Problem) DecodeWithSkia(byte[] encoded, int minShortSide, bool rent = false)
    {
        // The codec reads the caller's bytes in place (pinned for the call) and decodes into a pooled buffer.
        var source = GCHandle.Alloc(encoded, GCHandleType.Pinned);
        try
        {
            using var data = SKData.Create(source.AddrOfPinnedObject(), encoded.Length);
            return DecodeSkia(data, minShortSide, rent);
        }
        finally
        {
            source.Free();
        }
    }

    private static (FloatImage? Image, string? Problem) DecodeSkia(SKData data, int minShortSide, bool rent)
    {
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return (null, "not a decodable image");
        }

        var full = codec.Info;
        if (TooManyPixels(full.Width, full.Height) is { } tooMany)
        {
            return (null, tooMany);
        }

        var (width, height) = DecodeSize(full.Width, full.Height, minShortSide, d =>
        {
            var scaled = codec.GetScaledDimensions(1f / d);
            return (scaled.Width, scaled.Height);
        });
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);

        var rgba = ArrayPool<byte>.Shared.Rent(info.BytesSize);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            return result switch
            {
                SKCodecResult.Success => (FloatImage.FromRgba(rgba.AsSpan(0, info.BytesSize), info.Height, info.Width, rent), null),
                SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => (null, "truncated image data"),
                _ => (null, $"undecodable image ({result})"),
            };
        }
        finally
        {
            handle.Free();
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }
}
