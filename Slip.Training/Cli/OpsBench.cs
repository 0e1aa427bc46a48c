using System.Diagnostics;
using static TorchSharp.torch;

namespace Slip.Training.Cli;

/// <summary>
/// <c>bench --config run.json --ops</c>: times the vision tower's main operations at the config's shapes (the MLP's
/// first Linear forward and forward + backward, and attention) in fp32 and in bf16, to show whether bf16 pays on this
/// machine's CPU (it needs AVX512-BF16 or AMX; without them oneDNN emulates bf16 GEMMs). Prints one JSON object.
/// </summary>
public static class OpsBench
{
    public static int Run(RunConfig config, int repeats)
    {
        var tokens = ((config.Vision.ImageSize / config.Vision.PatchSize) * (config.Vision.ImageSize / config.Vision.PatchSize)) + 1;
        var width = config.Vision.Width;
        var headDim = width / config.Vision.Heads;
        var result = new Dictionary<string, object>
        {
            ["rows"] = config.Optim.BatchSize * tokens,
            ["width"] = width,
            ["threads"] = get_num_threads(),
        };
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var scope = NewDisposeScope();
            var x = randn(config.Optim.BatchSize * tokens, width).to(dtype);                              // [B*T, D]
            var w = randn(4 * width, width).to(dtype);                                              // [4D, D]
            var qkv = randn(config.Optim.BatchSize, config.Vision.Heads, tokens, headDim).to(dtype);      // [B, H, T, D/H]
            var name = dtype == ScalarType.Float32 ? "fp32" : "bf16";
            result[$"{name}LinearMs"] = Time(repeats, () => nn.functional.linear(x, w));
            result[$"{name}LinearForwardBackwardMs"] = Time(repeats, () =>
            {
                var p = w.detach().requires_grad_(true);
                nn.functional.linear(x, p).sum().backward();
                return p.grad!;
            });
            result[$"{name}AttentionMs"] = Time(repeats, () => qkv.matmul(qkv.transpose(-1, -2)).softmax(-1).matmul(qkv));
        }

        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, RunConfig.JsonOptions));
        return ExitCodes.Completed;
    }

    /// <summary>Median milliseconds of <paramref name="repeats"/> calls after three warm-up calls.</summary>
    private static double Time(int repeats, Func<Tensor> op)
    {
        var times = new List<double>();
        for (var i = 0; i < repeats + 3; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            op();
            if (i >= 3)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return Math.Round(times[times.Count / 2], 2);
    }
}
