using Slip.Training.Losses;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

public class LossTests
{
    [Fact]
    public void ClipLossMatchesHandComputedValueForOrthogonalPairs()
    {
        // Logits are the identity: each row's CE is log(1 + e^-1).
        using var image = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var text = tensor(new float[] { 3, 0, 0, 2 }, [2, 2]); // normalised inside the loss
        using var scale = tensor(1f);
        var (loss, acc) = ClipLoss.Compute(image, text, scale);
        Assert.Equal(Math.Log(1 + Math.Exp(-1)), loss.item<float>(), 5);
        Assert.Equal(100f, acc.item<float>());
    }

    [Fact]
    public void ClipLossUsesTheLogitScaleAndCountsMisses()
    {
        // Image 0 is closer to caption 1: one miss of two, so clip_acc is 50.
        using var image = tensor(new float[] { 0, 1, 0, 1 }, [2, 2]);
        using var text = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var scale = tensor(2f);
        var (loss, acc) = ClipLoss.Compute(image, text, scale);
        // image->text rows: [0,2] target 0 -> log(1+e^2); [0,2] target 1 -> log(1+e^-2)
        // text->image rows: [0,0] target 0 -> log 2;      [2,2] target 1 -> log 2
        var expected = ((Math.Log(1 + Math.Exp(2)) + Math.Log(1 + Math.Exp(-2))) / 2 + Math.Log(2)) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(50f, acc.item<float>());
    }

    [Fact]
    public void NtXentMasksSelfPairsAndMatchesHandComputedValue()
    {
        // ab = I, aa = I - 1e9 I: row 0 logits [1, 0, -1e9, 0], so CE = log(e + 2) - 1.
        using var a = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var b = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        var (loss, acc) = NtXentLoss.Compute(a, b, temperature: 1.0);
        Assert.Equal(Math.Log(Math.E + 2) - 1, loss.item<float>(), 5);
        Assert.Equal(100f, acc.item<float>());
    }

    [Fact]
    public void NtXentTemperatureSharpensTheLoss()
    {
        using var a = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        using var b = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        var (loss, _) = NtXentLoss.Compute(a, b, temperature: 0.1);
        // Row logits [10, 0, -1e9, 0]: CE = log(e^10 + 2) - 10.
        Assert.Equal(Math.Log(Math.Exp(10) + 2) - 10, loss.item<float>(), 5);
    }
}
