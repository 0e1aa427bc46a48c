using SkiaSharp;

namespace Slip.Training.Datasets;

/// <summary>
/// The built-in captioned image set: one coloured shape per image (5 kinds, 6 colours, 2 sizes, 9 positions) on a
/// muted background, rendered with SkiaSharp from a seed, with a caption that describes it
/// ("a large red star in the top left"). Deterministic: the same seed and index always give the same sample.
/// </summary>
public sealed class SyntheticShapes
{
    public static readonly string[] Shapes = ["circle", "square", "triangle", "star", "cross"];
    public static readonly string[] Colours = ["red", "green", "blue", "yellow", "purple", "orange"];
    public static readonly string[] Sizes = ["small", "large"];
    public static readonly string[] Positions = ["top left", "top middle", "top right", "middle left", "center", "middle right", "bottom left", "bottom middle", "bottom right"];

    private static readonly SKColor[] Palette =
    [
        new(220, 40, 40), new(40, 170, 60), new(40, 80, 220), new(230, 210, 40), new(150, 60, 200), new(240, 140, 30),
    ];

    private readonly byte[][] pixels;
    private readonly string[] captions;
    private readonly int[] labels;

    private SyntheticShapes(int size, byte[][] pixels, string[] captions, int[] labels)
    {
        Size = size;
        this.pixels = pixels;
        this.captions = captions;
        this.labels = labels;
    }

    /// <summary>Side of each square image in pixels.</summary>
    public int Size { get; }

    public int Count => pixels.Length;

    /// <summary>Interleaved RGB bytes (Size x Size x 3) of sample <paramref name="index"/>.</summary>
    public byte[] Rgb(int index) => pixels[index];

    public string Caption(int index) => captions[index];

    /// <summary>Class index shape x colour (30 classes), for classification evaluations.</summary>
    public int Label(int index) => labels[index];

    public static IReadOnlyList<string> ClassNames { get; } =
        Shapes.SelectMany(s => Colours.Select(c => $"{c} {s}")).ToArray();

    /// <summary>Renders <paramref name="count"/> samples of side <paramref name="size"/> from <paramref name="seed"/>.</summary>
    public static SyntheticShapes Generate(int count, int size, int seed)
    {
        var pixels = new byte[count][];
        var captions = new string[count];
        var labels = new int[count];
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        for (var i = 0; i < count; i++)
        {
            var rng = new Random(unchecked((seed * 1_000_003) + i));
            var shape = rng.Next(Shapes.Length);
            var colour = rng.Next(Colours.Length);
            var large = rng.Next(2);
            var position = rng.Next(Positions.Length);
            var grey = (byte)rng.Next(60, 190);
            canvas.Clear(new SKColor(grey, (byte)Math.Clamp(grey + rng.Next(-20, 21), 0, 255), (byte)Math.Clamp(grey + rng.Next(-20, 21), 0, 255)));
            var radius = size * (large == 1 ? 0.30f : 0.15f) * (float)(0.9 + (0.2 * rng.NextDouble()));
            var cx = size * (0.25f + (0.25f * (position % 3))) + (float)((rng.NextDouble() - 0.5) * size * 0.08);
            var cy = size * (0.25f + (0.25f * (position / 3))) + (float)((rng.NextDouble() - 0.5) * size * 0.08);
            var c = Palette[colour];
            paint.Color = new SKColor(Jitter(c.Red, rng), Jitter(c.Green, rng), Jitter(c.Blue, rng));
            Draw(canvas, paint, Shapes[shape], cx, cy, radius);
            canvas.Flush();
            pixels[i] = ImageFiles.RgbaToRgb(bitmap.Bytes);
            captions[i] = $"a {Sizes[large]} {Colours[colour]} {Shapes[shape]} in the {Positions[position]}";
            labels[i] = (shape * Colours.Length) + colour;
        }

        return new SyntheticShapes(size, pixels, captions, labels);
    }

    private static byte Jitter(byte value, Random rng) => (byte)Math.Clamp(value + rng.Next(-15, 16), 0, 255);

    private static void Draw(SKCanvas canvas, SKPaint paint, string shape, float cx, float cy, float r)
    {
        switch (shape)
        {
            case "circle":
                canvas.DrawCircle(cx, cy, r, paint);
                break;
            case "square":
                canvas.DrawRect(cx - (r * 0.85f), cy - (r * 0.85f), r * 1.7f, r * 1.7f, paint);
                break;
            case "cross":
                canvas.DrawRect(cx - r, cy - (r * 0.3f), 2 * r, r * 0.6f, paint);
                canvas.DrawRect(cx - (r * 0.3f), cy - r, r * 0.6f, 2 * r, paint);
                break;
            default:
                using (var path = Polygon(shape == "star" ? 10 : 3, cx, cy, r, shape == "star" ? 0.45f : 1f))
                {
                    canvas.DrawPath(path, paint);
                }

                break;
        }
    }

    private static SKPath Polygon(int corners, float cx, float cy, float r, float innerRatio)
    {
        var path = new SKPath();
        for (var k = 0; k < corners; k++)
        {
            var angle = (-Math.PI / 2) + (2 * Math.PI * k / corners);
            var rr = (k % 2 == 1 && innerRatio < 1f) ? r * innerRatio : r;
            var x = cx + (float)(rr * Math.Cos(angle));
            var y = cy + (float)(rr * Math.Sin(angle));
            if (k == 0)
            {
                path.MoveTo(x, y);
            }
            else
            {
                path.LineTo(x, y);
            }
        }

        path.Close();
        return path;
    }
}
