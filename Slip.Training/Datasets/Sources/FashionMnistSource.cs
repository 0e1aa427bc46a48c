using System.IO.Compression;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// Fashion-MNIST from its IDX files (<c>train-images-idx3-ubyte.gz</c> and labels, or <c>t10k-*</c> for the test
/// split; gzipped or not), as Debian's <c>dataset-fashion-mnist</c> installs them in /usr/share/datasets/fashion-mnist:
/// 28 x 28 grey images, ten classes, captions from the class names and templates.
/// </summary>
public sealed class FashionMnistSource : IndexedSource
{
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];

    public static IReadOnlyList<string> Templates { get; } =
        ["a photo of a {}.", "a black and white photo of a {}.", "a low resolution photo of a {}.", "a photo of the {}, a type of clothing."];

    private readonly byte[] pixels;
    private readonly byte[] labels;
    private readonly ClassCaptions captions = new(ClassNames, Templates);

    private FashionMnistSource(byte[] pixels, byte[] labels)
    {
        this.pixels = pixels;
        this.labels = labels;
    }

    public const int Side = 28;

    public override int Length => labels.Length;

    public int Label(int index) => labels[index];

    /// <summary>Reads a split; throws <see cref="InvalidDataException"/> when the files are missing or not IDX.</summary>
    public static FashionMnistSource Open(string folder, string split, DataRoots? roots = null)
    {
        var prefix = split == "test" ? "t10k" : "train";
        string Inside(string file) => (roots ?? DataRoots.Unrestricted).Resolve(file)
            ?? throw new InvalidDataException($"'{file}' leads outside the data roots.");
        var images = ReadIdx(Inside(Find(folder, $"{prefix}-images-idx3-ubyte")), 2051, out var imageDims);
        var labels = ReadIdx(Inside(Find(folder, $"{prefix}-labels-idx1-ubyte")), 2049, out var labelDims);
        if (imageDims is not [var n, Side, Side] || labelDims is not [var m] || n != m)
        {
            throw new InvalidDataException($"The Fashion-MNIST files in '{folder}' do not match: images {string.Join("x", imageDims)}, labels {string.Join("x", labelDims)}.");
        }

        return new FashionMnistSource(images, labels);
    }

    public override RawSample Read(int index)
    {
        var grey = pixels.AsSpan(index * Side * Side, Side * Side);
        var image = new FloatImage(Side, Side);
        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < grey.Length; p++)
            {
                image.Pixels[(c * grey.Length) + p] = grey[p] / 255f;
            }
        }

        return new RawSample($"{index:D5}", captions.Caption(labels[index], index), labels[index]) { Image = image };
    }

    private static string Find(string folder, string name) =>
        new[] { name + ".gz", name }.Select(n => System.IO.Path.Combine(folder, n)).FirstOrDefault(File.Exists)
        ?? throw new InvalidDataException($"'{folder}' has no {name}(.gz): it is not a Fashion-MNIST folder (apt-get install dataset-fashion-mnist puts one in /usr/share/datasets/fashion-mnist).");

    private static byte[] ReadIdx(string path, int magic, out int[] dims)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new BinaryReader(stream);
        int ReadBigEndian() => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(reader.ReadInt32());
        var found = ReadBigEndian();
        if (found != magic)
        {
            throw new InvalidDataException($"'{path}' is not an IDX file of the expected kind (magic {found}, expected {magic}).");
        }

        dims = Enumerable.Range(0, magic & 0xFF).Select(_ => ReadBigEndian()).ToArray();
        var length = dims.Aggregate(1L, (a, d) => a * d);
        var data = reader.ReadBytes((int)length);
        return data.Length == length ? data : throw new InvalidDataException($"'{path}' is truncated: {data.Length} of {length} bytes.");
    }
}
