using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Models;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>
/// Slip against the PyTorch reference (reference/slip_model.py) on fixtures made by reference/make_fixtures.py:
/// the same weights and inputs must give the same embeddings and losses (1e-4 relative) and the same weights after
/// one AdamW step with SLIP's recipe (1e-5).
/// </summary>
public sealed class ParityTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");

    /// <summary>Cases as reference/make_fixtures.py names them: the three published objectives and SLIP with each added SSL branch.</summary>
    [Theory]
    [InlineData("clip")]
    [InlineData("simclr")]
    [InlineData("slip")]
    [InlineData("slip_mocov3")]
    [InlineData("slip_byol")]
    [InlineData("slip_mim")]
    public void EmbeddingsLossesAndOneAdamWStepMatchPyTorch(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, $"{name}_expected.json")));
        var root = json.RootElement;
        var config = new RunConfig { Ssl = new SslConfig { Method = Enum.Parse<SslMethod>(root.GetProperty("sslMethod").GetString()!, ignoreCase: true), Temperature = root.GetProperty("sslTemperature").GetDouble(), Momentum = root.GetProperty("sslMomentum").GetDouble() }, Optim = new OptimConfig { LearningRate = root.GetProperty("learningRate").GetDouble(), WeightDecay = root.GetProperty("weightDecay").GetDouble() }, Objective = Enum.Parse<Objective>(root.GetProperty("objective").GetString()!) }.WithModelPreset("Micro").WithFixtureText();
        var inputs = root.GetProperty("inputs");
        var mask = FloatTensor(inputs.GetProperty("mask")).to(ScalarType.Bool);
        using var batch = new TrainingBatch(
            FloatTensor(inputs.GetProperty("image")), LongTensor(inputs.GetProperty("text")),
            FloatTensor(inputs.GetProperty("aug1")), FloatTensor(inputs.GetProperty("aug2")), mask);

        using (var forward = Load(config, $"{name}_weights.pt"))
        using (no_grad())
        {
            var outputs = forward.call(batch.ToInputs());
            var expected = root.GetProperty("outputs");
            foreach (var (key, actual) in new[]
            {
                ("image_embed", outputs.ImageEmbed), ("text_embed", outputs.TextEmbed), ("logit_scale", outputs.LogitScale),
                ("aug1_embed", outputs.Aug1Embed), ("aug2_embed", outputs.Aug2Embed), ("aug1_target", outputs.Aug1Target),
                ("aug2_target", outputs.Aug2Target), ("mim_prediction", outputs.MimPrediction), ("mim_target", outputs.MimTarget),
            })
            {
                Assert.Equal(expected.TryGetProperty(key, out _), actual is not null);
                if (actual is not null)
                {
                    AssertClose(FloatTensor(expected.GetProperty(key)), actual, relative: 1e-4, key);
                }
            }
        }

        using var model = Load(config, $"{name}_weights.pt");
        Assert.All(model.named_parameters(), p => Assert.Equal(!p.name.StartsWith("momentum_", StringComparison.Ordinal), p.parameter.requires_grad));
        using var optimizer = Trainer.CreateOptimizer(model, config);
        var losses = Trainer.Step(model, optimizer, batch, config);
        foreach (var loss in root.GetProperty("losses").EnumerateObject())
        {
            var want = loss.Value.GetDouble();
            Assert.True(Math.Abs(losses[loss.Name] - want) <= 1e-4 * Math.Max(1, Math.Abs(want)), $"{loss.Name}: {losses[loss.Name]} vs PyTorch {want}");
        }

        // Gradients: 1e-4 relative to each tensor's largest gradient. Some gradients are zero in exact arithmetic (a bias
        // right before BatchNorm, whose per-feature centring cancels it) and are float noise in both frameworks: where
        // PyTorch's is below 1e-4 of the model's largest gradient, ours must be noise of that size too.
        var grads = CheckpointContents.Read(Path.Combine(Folder, $"{name}_grads.pt")).StateDict;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(grads.Keys.Order(), parameters.Where(p => p.Value.grad is not null).Select(p => p.Key).Order());
        var noise = 1e-4 * grads.Values.Max(g => g.abs().max().item<float>());
        foreach (var (key, want) in grads)
        {
            var ours = parameters[key].grad!;
            if (want.abs().max().item<float>() < noise)
            {
                Assert.True(ours.abs().max().item<float>() < noise, $"gradient of {key} should be float noise like PyTorch's");
            }
            else
            {
                AssertClose(want, ours, relative: 1e-4, $"gradient of {key}");
            }
        }

        // Weights after the step: 1e-5. AdamW's first update is lr * g / (|g| + eps), about lr * sign(g), so where a
        // gradient is at noise level its sign, and so the update, is noise in both frameworks: those elements (gradients
        // below 1e-4 of their tensor's largest, or in a tensor that is all noise) are left out. The EMA step of the
        // momentum network is checked the same way.
        using var reference = Load(config, $"{name}_after_step.pt");
        var stepped = model.state_dict();
        foreach (var (key, want) in reference.state_dict())
        {
            var delta = (stepped[key].to(ScalarType.Float64) - want.to(ScalarType.Float64)).abs();
            // A momentum parameter moves by (1 - m) x its online twin's update, so the twin's noise elements are left out too.
            var online = key.StartsWith("momentum_visual.", StringComparison.Ordinal) ? key["momentum_".Length..]
                : key.StartsWith("momentum_projector.", StringComparison.Ordinal) ? "ssl_projector." + key["momentum_projector.".Length..] : key;
            if (grads.TryGetValue(online, out var grad))
            {
                var largest = grad.abs().max().item<float>();
                delta = delta.masked_fill(grad.abs().lt(largest < noise ? double.PositiveInfinity : 1e-4 * largest), 0);
            }

            var diff = delta.max().item<double>();
            Assert.True(diff <= 1e-5, $"{key} differs from PyTorch after one AdamW step by {diff}");
        }
    }

    private static SlipModel Load(RunConfig config, string file)
    {
        var model = new SlipModel(config);
        Checkpoints.Load(model, Path.Combine(Folder, file));
        model.train();
        return model;
    }

    private static void AssertClose(Tensor expected, Tensor actual, double relative, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = expected.abs().max().item<float>();
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= relative * scale, $"{what}: max difference {diff} against magnitude {scale}");
    }

    private static Tensor FloatTensor(JsonElement nested)
    {
        var (values, shape) = Flatten(nested);
        return tensor(values.Select(v => (float)v).ToArray(), shape);
    }

    private static Tensor LongTensor(JsonElement nested)
    {
        var (values, shape) = Flatten(nested);
        return tensor(values.Select(v => (long)v).ToArray(), shape);
    }

    private static (List<double> Values, long[] Shape) Flatten(JsonElement nested)
    {
        var values = new List<double>();
        var shape = new List<long>();
        var e = nested;
        while (e.ValueKind == JsonValueKind.Array)
        {
            shape.Add(e.GetArrayLength());
            e = e[0];
        }

        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in x.EnumerateArray())
                {
                    Walk(item);
                }
            }
            else
            {
                values.Add(x.ValueKind switch { JsonValueKind.True => 1, JsonValueKind.False => 0, _ => x.GetDouble() });
            }
        }

        Walk(nested);
        return (values, shape.ToArray());
    }
}
