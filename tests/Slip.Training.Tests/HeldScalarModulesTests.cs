using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>
/// Slip's held-Scalar optimizers and BatchNorm do exactly what TorchSharp's do: the same values, bit for bit, on the
/// same inputs, and the same state (decision 0022).
/// </summary>
public sealed class HeldScalarModulesTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void AdamWMatchesTorchSharpsBitForBit(bool amsgrad, bool maximize)
    {
        var (ours, theirs) = (Parameters(), Parameters());
        using var held = new HeldScalarAdamW(Groups(ours), 3e-3, 0.9, 0.98, 1e-8, amsgrad, maximize);
        using var reference = optim.AdamW(Groups(theirs), 3e-3, 0.9, 0.98, 1e-8, amsgrad: amsgrad, maximize: maximize);
        Step(held, ours, reference, theirs, steps: 4);
        AssertSame(ours, theirs);
        var (ourState, theirState) = ((AdamW.State)held.state_dict().State[0], (AdamW.State)reference.state_dict().State[0]);
        Assert.Equal(theirState.step, ourState.step);
        Assert.True(Same(theirState.exp_avg_sq, ourState.exp_avg_sq));
    }

    [Theory]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.9, 1e-4, true)]
    [InlineData(0.0, 1e-4, false)]
    public void SgdMatchesTorchSharpsBitForBit(double momentum, double decay, bool nesterov)
    {
        var (ours, theirs) = (Parameters(), Parameters());
        using var held = new HeldScalarSgd(ours, 0.1, momentum);
        using var reference = optim.SGD(theirs, 0.1, momentum);
        foreach (var g in held.ParamGroups.Concat(reference.ParamGroups).Cast<SGD.ParamGroup>())
        {
            (g.Options.weight_decay, g.Options.nesterov) = (decay, nesterov);
        }

        Step(held, ours, reference, theirs, steps: 4);
        AssertSame(ours, theirs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNormMatchesTorchSharpsBitForBit(bool affine)
    {
        using var held = new HeldScalarBatchNorm1d(6, affine);
        using var reference = nn.BatchNorm1d(6, affine: affine);
        Assert.Equal(reference.state_dict().Keys.Order(), held.state_dict().Keys.Order());
        var generator = new Generator(3);
        for (var i = 0; i < 3; i++)
        {
            using var x = randn([8, 6], generator: generator);
            Assert.True(Same(reference.call(x), held.call(x)));
        }

        foreach (var (name, buffer) in reference.state_dict())
        {
            Assert.True(Same(buffer, held.state_dict()[name]), name);
        }

        Assert.Equal(3L, held.num_batches_tracked!.item<long>());
        held.eval();
        reference.eval();
        using var test = randn([4, 6, 5], generator: generator);
        Assert.True(Same(reference.call(test), held.call(test)));
        Assert.Contains("2-D or 3-D", Assert.Throws<ArgumentException>(() => held.call(randn(2, 6, 5, 5))).Message, StringComparison.Ordinal);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static Parameter[] Parameters()
    {
        var generator = new Generator(7);
        return [new Parameter(randn([5, 4], generator: generator)), new Parameter(randn([4], generator: generator))];
    }

    private static AdamW.ParamGroup[] Groups(Parameter[] p) =>
    [
        new(p.Take(1), new AdamW.Options { weight_decay = 0.1 }),
        new(p.Skip(1), new AdamW.Options { weight_decay = 0.0 }),
    ];

    /// <summary>The same gradients into both sets of parameters, then a step of each optimizer, <paramref name="steps"/> times.</summary>
    private static void Step(optim.Optimizer ours, Parameter[] ourParameters, optim.Optimizer theirs, Parameter[] theirParameters, int steps)
    {
        var generator = new Generator(11);
        for (var s = 0; s < steps; s++)
        {
            foreach (var (mine, other) in ourParameters.Zip(theirParameters))
            {
                using var grad = randn(mine.shape, generator: generator);
                mine.grad = grad.clone();
                other.grad = grad.clone();
            }

            ours.step();
            theirs.step();
        }
    }

    private static void AssertSame(Parameter[] ours, Parameter[] theirs)
    {
        foreach (var (mine, other) in ours.Zip(theirs))
        {
            Assert.True(Same(other, mine), $"max difference {(other - mine).abs().max().item<float>()}");
        }
    }
}
