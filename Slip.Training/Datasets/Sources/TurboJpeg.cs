using System.Buffers;
using System.Runtime.InteropServices;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// JPEG decoding through libjpeg-turbo's TurboJPEG API (Debian's <c>libturbojpeg0</c>): the libjpeg-turbo that PIL
/// decodes with, called directly. It gives PIL's pixels (the same DCT, upsampling and colour conversion) and is faster
/// than SkiaSharp 2.88's decoder. Where the library is absent, or a JPEG is one it does not convert to RGB (CMYK) or
/// cannot read, <see cref="ImageDecoder"/> decodes with Skia as before (docs/decisions/0025-turbojpeg.md).
/// </summary>
public static unsafe class TurboJpeg
{
    private const string Library = "libturbojpeg.so.0";
    private const int PixelFormatRgbx = 2;                                  // TJPF_RGBX
    private const int ColourspaceCmyk = 3;                                  // TJCS_CMYK
    private const int ColourspaceYcck = 4;                                  // TJCS_YCCK
    private const int ErrorFatal = 1;                                       // TJERR_FATAL

    [ThreadStatic]
    private static nint handle;

    /// <summary>Whether libturbojpeg can be loaded here.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>
    /// <paramref name="encoded"/> decoded as <see cref="ImageDecoder.Decode"/> does (at a DCT scale of 1/2, 1/4 or 1/8
    /// while the shorter side stays at least <paramref name="minShortSide"/>), or null where Skia should decode it:
    /// not a JPEG, no libturbojpeg, CMYK, or an error the library cannot get past.
    /// </summary>
    public static (FloatImage? Image, string? Problem)? TryDecode(byte[] encoded, int minShortSide, bool rent)
    {
        if (!IsAvailable || encoded.Length < 4 || encoded[0] != 0xFF || encoded[1] != 0xD8)
        {
            return null;
        }

        var decompressor = Decompressor();
        fixed (byte* jpeg = encoded)
        {
            if (tjDecompressHeader3(decompressor, jpeg, (nuint)encoded.Length, out var width, out var height, out _, out var colourspace) != 0
                || colourspace is ColourspaceCmyk or ColourspaceYcck)
            {
                return null;
            }

            if (ImageDecoder.TooManyPixels(width, height) is { } tooMany)
            {
                return (null, tooMany);
            }

            var (w, h) = ImageDecoder.DecodeSize(width, height, minShortSide, d => ((width + d - 1) / d, (height + d - 1) / d));   // TJSCALED

            var bytes = 4 * w * h;
            var rgbx = ArrayPool<byte>.Shared.Rent(bytes);
            try
            {
                fixed (byte* pixels = rgbx)
                {
                    if (tjDecompress2(decompressor, jpeg, (nuint)encoded.Length, pixels, w, 0, h, PixelFormatRgbx, 0) != 0)
                    {
                        // A warning still decodes the image (libjpeg-turbo goes on, as PIL does), except a premature end:
                        // Skia and PIL refuse truncated data, and so does Slip. A fatal error goes to Skia.
                        var message = Marshal.PtrToStringUTF8(tjGetErrorStr2(decompressor)) ?? "";
                        if (tjGetErrorCode(decompressor) == ErrorFatal)
                        {
                            return null;
                        }

                        if (message.Contains("Premature end", StringComparison.Ordinal))
                        {
                            return (null, "truncated image data");
                        }
                    }
                }

                return (FloatImage.FromRgba(rgbx.AsSpan(0, bytes), h, w, rent), null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rgbx);
            }
        }
    }

    /// <summary>This thread's decompressor (TurboJPEG handles are not shared between threads); kept for the thread's life.</summary>
    private static nint Decompressor()
    {
        if (handle == 0)
        {
            handle = tjInitDecompress();
            if (handle == 0)
            {
                throw new InvalidOperationException("libturbojpeg could not create a decompressor.");
            }
        }

        return handle;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Decompressor() != 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    [DllImport(Library)]
    private static extern nint tjInitDecompress();

    [DllImport(Library)]
    private static extern int tjDecompressHeader3(nint handle, byte* jpeg, nuint size, out int width, out int height, out int subsampling, out int colourspace);

    [DllImport(Library)]
    private static extern int tjDecompress2(nint handle, byte* jpeg, nuint size, byte* destination, int width, int pitch, int height, int pixelFormat, int flags);

    [DllImport(Library)]
    private static extern nint tjGetErrorStr2(nint handle);

    [DllImport(Library)]
    private static extern int tjGetErrorCode(nint handle);
}
