using System.Text.Json;
using Slip.Training.Datasets;

namespace Slip.Training.Tests;

/// <summary>
/// Each augmentation op against torchvision on a PIL image (the reference's pipeline), from fixtures made by
/// reference/make_augment_fixtures.py: same input, same parameters, outputs compared in 8-bit levels. PIL rounds to
/// 8 bits after every op, Slip mostly stays in floats, so about a level apart is expected.
/// </summary>
public sealed class AugmentationParityTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "augment");

    public static TheoryData<string> Cases() => new(JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")))
        .RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpMatchesTorchvisionOnPil(string name)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement;
        var @case = root.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var p = @case.GetProperty("params");
        int I(string key) => p.GetProperty(key).GetInt32();
        float F(string key) => p.GetProperty(key).GetSingle();
        var input = ImageFiles.Load(Path.Combine(Folder, "input.png"));
        var output = name switch
        {
            "resized_crop_down" or "resized_crop_up" => ImageOps.ResizedCrop(input, I("top"), I("left"), I("height"), I("width"), I("size"), I("size")),
            "eval_view" => Augmentations.EvalCrop(input, I("size")),
            _ => input,
        };
        switch (name)
        {
            case "brightness":
                ImageOps.Brightness(output, F("factor"));
                break;
            case "contrast":
                ImageOps.Contrast(output, F("factor"));
                break;
            case "saturation":
                ImageOps.Saturation(output, F("factor"));
                break;
            case "hue":
                ImageOps.Hue(output, F("factor"));
                break;
            case "grayscale":
                ImageOps.Grayscale(output);
                break;
            case "gaussian_blur" or "gaussian_blur_small":
                ImageOps.GaussianBlur(output, F("sigma"));
                break;
            case "hflip":
                ImageOps.FlipHorizontal(output);
                break;
        }

        var shape = @case.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal((shape[0], shape[1]), (output.Height, output.Width));
        var expected = @case.GetProperty("rgb").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var diffs = new List<double>();
        for (var y = 0; y < output.Height; y++)
        {
            for (var x = 0; x < output.Width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var ours = Math.Clamp(output.Pixels[(c * output.Plane) + (y * output.Width) + x], 0, 1) * 255;
                    diffs.Add(Math.Abs(ours - expected[(((y * output.Width) + x) * 3) + c]));
                }
            }
        }

        var (max, mean) = (diffs.Max(), diffs.Average());
        // Measured: blur and flip exact; resize, colour ops and grayscale within 1.13 levels (mean under 0.45); hue exact
        // but for a few pixels 3 levels apart (8-bit HSV rounding on the edge of a truncation).
        var allowed = name == "hue" ? 3.0 : 1.2;
        Assert.True(max <= allowed && mean <= 0.5, $"{name}: max {max:F2} levels, mean {mean:F3} (allowed max {allowed}, mean 0.5)");
    }
}
