using System.Text;
using SkiaSharp;
using Slip.Training.Cli;
using Slip.Training.Datasets;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

[Collection(GlobalTorchState.Name)]
public sealed class CheckpointCommandTests : IDisposable
{
    private static readonly string Release = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", "published_style_checkpoint.pt");
    private readonly string folder = Directory.CreateTempSubdirectory("slip-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ExportWritesSafetensorsWithTheReferenceNamesThatLoadBack()
    {
        var exported = Path.Combine(folder, "model.safetensors");
        Assert.Equal(0, CheckpointVerbs.Export(Release, exported, HeadCounts.None));

        var (model, config, contents, _) = Checkpoints.Open(exported);
        using (model)
        {
            Assert.Equal(Objective.Slip, config.Objective);
            Assert.Contains("visual.blocks.0.attn.qkv.weight", contents.StateDict.Keys);
            var original = CheckpointContents.Read(Release).StateDict;
            Assert.All(model.state_dict(), kv => Assert.True(kv.Value.equal(original[kv.Key]).all().item<bool>(), kv.Key));
        }
    }

    [Fact]
    public void EmbedWritesNormalisedRowsInInputOrder()
    {
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        foreach (var (name, colour) in new[] { ("b.png", SKColors.Blue), ("a.png", SKColors.Red), ("c.jpg", SKColors.Green) })
        {
            using var bitmap = new SKBitmap(40, 30);
            bitmap.Erase(colour);
            using var data = bitmap.Encode(name.EndsWith(".png", StringComparison.Ordinal) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(Path.Combine(images, name), data.ToArray());
        }

        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image");
        var captions = Path.Combine(folder, "captions.txt");
        File.WriteAllLines(captions, ["a red circle", "", "a blue star"]);
        var output = Path.Combine(folder, "out");

        Assert.Equal(0, CheckpointVerbs.Embed(Release, new EmbedInputs(images, captions, null), output, HeadCounts.None, bpeVocabularyPath: null));

        var (imageRows, imageShape) = ReadNpy(Path.Combine(output, "image_embeddings.npy"));
        var (textRows, textShape) = ReadNpy(Path.Combine(output, "text_embeddings.npy"));
        Assert.Equal((3, 32), imageShape);
        Assert.Equal((2, 32), textShape);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(1.0, Math.Sqrt(imageRows.Skip(r * 32).Take(32).Sum(v => v * v)), 4);
        }

        // Row 1 is "a blue star" (blank lines are skipped), computed the same way here.
        var (model, config, _, _) = Checkpoints.Open(Release);
        using (model)
        using (no_grad())
        {
            model.eval();
            var tokens = tensor(ByteTokenizer.Encode("a blue star", config.Text.ContextLength), [1, config.Text.ContextLength]);
            var expected = nn.functional.normalize(model.EncodeText(tokens), dim: -1).data<float>().ToArray();
            Assert.All(expected.Zip(textRows.Skip(32)), p => Assert.Equal(p.First, p.Second, 5));
        }
    }

    [Fact]
    public void InspectShowsTheModelTheReleaseArgumentsAndWhatWeightDecayTouches()
    {
        var (stdout, stderr) = Captured(() => Assert.Equal(0, CheckpointVerbs.Inspect(Release, HeadCounts.None)));

        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("Slip", root.GetProperty("objective").GetString());
        Assert.Equal(25, root.GetProperty("epoch").GetInt64());
        Assert.Equal("SLIP_VITS16", root.GetProperty("args").GetProperty("model").GetString());
        var decayed = root.GetProperty("weightDecay").EnumerateArray().Select(e => e.GetString()).ToList();
        var notDecayed = root.GetProperty("noWeightDecay").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("visual.pos_embed", decayed);
        Assert.Contains("logit_scale", notDecayed);
        Assert.Contains("image_mlp.bn1.weight", notDecayed);

        // Its args.model says ViT-S/16 but its shapes are Micro's: the heads are guessed, and the warning names the flags.
        Assert.Equal("guessed", root.GetProperty("headsFrom").GetProperty("vision").GetString());
        Assert.Contains("--vision-heads", stderr);
        Assert.Contains("--text-heads", stderr);
    }

    private static (string Stdout, string Stderr) Captured(Action action)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            action();
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }

        return (stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void NpyHeaderIsAlignedAndDescribesTheMatrix()
    {
        var path = Path.Combine(folder, "m.npy");
        NpyFile.WriteFloat32(path, [1, 2, 3, 4, 5, 6], 2, 3);
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal("\u0093NUMPY", Encoding.Latin1.GetString(bytes, 0, 6));
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'shape': (2, 3)", Encoding.ASCII.GetString(bytes, 10, headerLength));
        Assert.Equal(10 + headerLength + 24, bytes.Length);
        Assert.Equal(6f, BitConverter.ToSingle(bytes, 10 + headerLength + 20));
    }

    private static (float[] Values, (int Rows, int Columns) Shape) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var shape = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..].Split(')')[0].Split(',').Select(int.Parse).ToArray();
        var values = new float[(bytes.Length - 10 - headerLength) / 4];
        Buffer.BlockCopy(bytes, 10 + headerLength, values, 0, values.Length * 4);
        return (values, (shape[0], shape[1]));
    }
}
