using System.Formats.Tar;
using SkiaSharp;
using Slip.Training.Datasets;

namespace Slip.Tests;

/// <summary>Writes real dataset files for tests: JPEGs, webdataset shards, manifests and class folders.</summary>
internal static class DatasetFiles
{
    /// <summary>A JPEG of shape sample <paramref name="index"/> at <paramref name="width"/> x <paramref name="height"/>, with its caption.</summary>
    public static (byte[] Jpeg, string Caption) Jpeg(int index, int width = 48, int height = 40)
    {
        var shapes = SyntheticShapes.Generate(index + 1, Math.Max(width, height), seed: 5);
        var side = shapes.Size;
        var rgb = shapes.Rgb(index);
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[side * side * 4];
        for (var p = 0; p < side * side; p++)
        {
            (rgba[4 * p], rgba[(4 * p) + 1], rgba[(4 * p) + 2], rgba[(4 * p) + 3]) = (rgb[3 * p], rgb[(3 * p) + 1], rgb[(3 * p) + 2], 255);
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var resized = bitmap.Resize(new SKImageInfo(width, height), SKFilterQuality.Medium);
        using var data = resized.Encode(SKEncodedImageFormat.Jpeg, 90);
        return (data.ToArray(), shapes.Caption(index));
    }

    /// <summary>A shard of members (name, bytes), in order.</summary>
    public static void Shard(string path, IEnumerable<(string Name, byte[] Data)> members)
    {
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var (name, data) in members)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
    }

    /// <summary>Members of <paramref name="count"/> good samples keyed from <paramref name="first"/>: jpg, txt and json.</summary>
    public static IEnumerable<(string, byte[])> Samples(int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            var (jpeg, caption) = Jpeg(i % 40);
            yield return ($"{i:D9}.jpg", jpeg);
            yield return ($"{i:D9}.txt", System.Text.Encoding.UTF8.GetBytes(caption));
            yield return ($"{i:D9}.json", System.Text.Encoding.UTF8.GetBytes($"{{\"key\": \"{i:D9}\"}}"));
        }
    }

    public static string TempFolder(string name) => Directory.CreateTempSubdirectory($"slip-{name}-").FullName;

    /// <summary>An image folder under <paramref name="root"/>: one subfolder per class with <paramref name="perClass"/> JPEGs each.</summary>
    public static string ImageFolder(string root, IEnumerable<string> classes, int perClass)
    {
        var index = 0;
        foreach (var name in classes)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < perClass; i++, index++)
            {
                File.WriteAllBytes(Path.Combine(root, name, $"{i}.jpg"), Jpeg(index % 40).Jpeg);
            }
        }

        return root;
    }
}
