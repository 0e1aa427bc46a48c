// The data path op by op on one core (docs/benchmarks.md): every op of the SLIP views applied to every image (no
// random skips), 96 images of a webdataset shard, three rounds, the last reported in ms per sample.
// Usage: DOTNET_PROCESSOR_COUNT=1 taskset -c 0 dotnet run -c Release scripts/bench-data-ops.cs -- /tmp/webjpegs/500x375
#:project ../Slip.Training/Slip.Training.csproj
#:property TieredCompilationQuickJit=false
using System.Diagnostics;
using System.Formats.Tar;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

var jpegs = new List<byte[]>();
using (var tar = new TarReader(File.OpenRead(Path.Combine(args[0], "00000.tar"))))
{
    for (var entry = tar.GetNextEntry(); entry is not null && jpegs.Count < 96; entry = tar.GetNextEntry())
    {
        if (entry.Name.EndsWith(".jpg", StringComparison.Ordinal) && entry.DataStream is { } data)
        {
            using var bytes = new MemoryStream();
            data.CopyTo(bytes);
            jpegs.Add(bytes.ToArray());
        }
    }
}

const int size = 224;
var times = new Dictionary<string, double>();
void Time(string name, Action op)
{
    var start = Stopwatch.GetTimestamp();
    op();
    times[name] = times.GetValueOrDefault(name) + Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

var row = new float[3 * size * size];
for (var round = 0; round < 3; round++)
{
    times.Clear();
    for (var i = 0; i < jpegs.Count; i++)
    {
        FloatImage image = null!;
        Time("decode (rented)", () => image = ImageDecoder.Decode(jpegs[i], (int)Math.Ceiling(size * 1.5), rent: true).Image!);
        var rng = new Random(i);
        var view = FloatImage.Rent(size, size);
        Time("CLIP crop", () => Augmentations.RandomResizedCrop(image, 0.5, 1.0, rng, view));
        Time("normalise into a row", () => ImageOps.Normalize(view, Augmentations.Mean, Augmentations.Std, row));
        for (var ssl = 0; ssl < 2; ssl++)
        {
            Time("SSL crop", () => Augmentations.RandomResizedCrop(image, 0.08, 1.0, rng, view));
            Time("brightness", () => ImageOps.Brightness(view, 1.2f));
            Time("contrast", () => ImageOps.Contrast(view, 0.8f));
            Time("saturation", () => ImageOps.Saturation(view, 1.3f));
            Time("hue", () => ImageOps.Hue(view, 0.05f));
            Time("grayscale", () => ImageOps.Grayscale(view));
            Time("blur", () => ImageOps.GaussianBlur(view, 1.0f));
            Time("flip", () => ImageOps.FlipHorizontal(view));
            Time("normalise into a row", () => ImageOps.Normalize(view, Augmentations.Mean, Augmentations.Std, row));
        }

        view.Return();
        image.Return();
    }
}

Console.WriteLine($"{args[0]}: ms per sample, every op applied (CLIP view and two SSL views), {jpegs.Count} images, third round");
foreach (var (name, ms) in times)
{
    Console.WriteLine($"  {name,-22} {ms / jpegs.Count,7:F3}");
}

Console.WriteLine($"  {"total",-22} {times.Values.Sum() / jpegs.Count,7:F3}");
