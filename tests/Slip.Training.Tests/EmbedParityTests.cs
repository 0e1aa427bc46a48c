using System.Text;
using System.Text.Json;
using Slip.Training.Cli;
using Slip.Training.Datasets;

namespace Slip.Training.Tests;

/// <summary>
/// <c>embed</c> against the reference's evaluation transform (PIL open + convert('RGB'), torchvision Resize and
/// CenterCrop, ToTensor, Normalize) and its image tower, on fixtures made by reference/make_embed_fixtures.py.
/// </summary>
[Collection(GlobalTorchState.Name)]
public sealed class EmbedParityTests : IDisposable
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "embed");
    private static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json"))).RootElement;
    private readonly string output = Directory.CreateTempSubdirectory("slip-embed-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    private static List<(string File, bool Lossy)> Files() =>
        Manifest.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("file").GetString()!, f.GetProperty("lossy").GetBoolean())).ToList();

    [Fact]
    public void EveryLosslessImageCropsToTorchvisionsPixels()
    {
        var (expected, shape) = Npy(Path.Combine(Folder, "pixels16.npy"));
        var plane = shape[1] * shape[2] * shape[3];
        foreach (var (file, index) in Files().Select((f, i) => (f, i)).Where(p => !p.f.Lossy).Select(p => (p.f.File, p.i)))
        {
            var crop = Augmentations.EvalCrop(ImageFiles.Load(Path.Combine(Folder, file)), 16);
            var pixels = crop.Pixels.Select(v => (int)Math.Round(v * 255)).ToArray();
            Assert.True(expected.Skip(index * plane).Take(plane).Select(v => (int)v).SequenceEqual(pixels), $"{file}: the 16-pixel crop differs from torchvision's");
        }

        var (wide, wideShape) = Npy(Path.Combine(Folder, "eval224.npy"));
        var widePlane = wideShape[1] * wideShape[2] * wideShape[3];
        foreach (var (file, index) in Manifest.GetProperty("eval224").EnumerateArray().Select((f, i) => (f.GetString()!, i)))
        {
            var crop = Augmentations.EvalCrop(ImageFiles.Load(Path.Combine(Folder, file)), 224);
            var pixels = crop.Pixels.Select(v => (int)Math.Round(v * 255)).ToArray();
            Assert.True(wide.Skip(index * widePlane).Take(widePlane).Select(v => (int)v).SequenceEqual(pixels), $"{file}: the 224-pixel crop differs from torchvision's");
        }
    }

    [Fact]
    public void ImageEmbeddingsOfAReleaseStyleCheckpointMatchTheReference()
    {
        var files = Files();
        var list = Path.Combine(output, "images.txt");
        File.WriteAllLines(list, files.Select(f => Path.Combine(Folder, f.File)));
        var checkpoint = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", "published_style_checkpoint.pt");

        // The release-style file's args name ViT-S/16 but its shapes are Micro's: its 2 heads must be given.
        Assert.Equal(ExitCodes.Completed, SlipCli.Run(["embed", "--checkpoint", checkpoint, "--images", list, "--out", output, "--vision-heads", "2", "--text-heads", "2"]));

        var (actual, _) = Npy(Path.Combine(output, "image_embeddings.npy"));
        var (expected, shape) = Npy(Path.Combine(Folder, "image_embeddings.npy"));
        var width = shape[1];
        for (var i = 0; i < files.Count; i++)
        {
            var difference = Enumerable.Range(0, width).Max(j => Math.Abs(actual[(i * width) + j] - expected[(i * width) + j]));
            Assert.True(difference <= (files[i].Lossy ? 2e-2 : 1e-4), $"{files[i].File}: embeddings differ by {difference}");
        }
    }

    /// <summary>A little-endian .npy file of float32 or uint8, as floats, with its shape.</summary>
    private static (float[] Values, int[] Shape) Npy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var shape = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..].Split(')')[0]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var data = bytes[(10 + headerLength)..];
        var values = header.Contains("'|u1'", StringComparison.Ordinal)
            ? data.Select(b => (float)b).ToArray()
            : Enumerable.Range(0, data.Length / 4).Select(i => BitConverter.ToSingle(data, i * 4)).ToArray();
        return (values, shape);
    }
}
