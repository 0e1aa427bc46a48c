using SkiaSharp;

namespace Slip.Training.Datasets;

/// <summary>Decodes image files (JPEG, PNG, WebP, ...) into <see cref="FloatImage"/>s with SkiaSharp.</summary>
public static class ImageFiles
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    /// <summary>The image files of a folder (sorted by name), or the paths listed one per line in a text file (relative to it).</summary>
    public static IReadOnlyList<string> List(string folderOrList)
    {
        if (Directory.Exists(folderOrList))
        {
            return Directory.EnumerateFiles(folderOrList)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
        }

        if (File.Exists(folderOrList))
        {
            var root = Path.GetDirectoryName(Path.GetFullPath(folderOrList))!;
            return File.ReadLines(folderOrList).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => Path.GetFullPath(l.Trim(), root)).ToList();
        }

        throw new FileNotFoundException($"'{folderOrList}' is neither a folder of images nor a file listing them.", folderOrList);
    }

    /// <summary>
    /// The file's image at full size as PIL's <c>convert('RGB')</c> gives it: grey replicated, a palette looked up,
    /// alpha dropped without compositing (decoded unpremultiplied, so transparent pixels keep their colour).
    /// </summary>
    public static FloatImage Load(string path)
    {
        var (image, problem) = Sources.ImageDecoder.Decode(File.ReadAllBytes(path), minShortSide: int.MaxValue);
        return image ?? throw new InvalidDataException($"'{path}' could not be decoded as an image ({problem}).");
    }

    /// <summary>Drops the alpha channel of interleaved RGBA bytes.</summary>
    public static byte[] RgbaToRgb(byte[] rgba)
    {
        var rgb = new byte[rgba.Length / 4 * 3];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgb[q] = rgba[p];
            rgb[q + 1] = rgba[p + 1];
            rgb[q + 2] = rgba[p + 2];
        }

        return rgb;
    }

    /// <summary>A PNG of an un-normalised image, scaled down so its longer side is at most <paramref name="maxSide"/> (for previews).</summary>
    public static byte[] EncodePng(FloatImage image, int maxSide)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var rgba = new byte[info.BytesSize];
        for (var p = 0; p < image.Plane; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgba[(4 * p) + c] = (byte)Math.Clamp(Math.Round(image.Pixels[(c * image.Plane) + p] * 255), 0, 255);
            }

            rgba[(4 * p) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        using var scaled = scale < 1
            ? bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))), SKFilterQuality.Medium)
            : bitmap.Copy();
        using var data = scaled.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
