using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Models;

/// <summary>Weight initialisers that TorchSharp lacks or gets wrong.</summary>
public static class Initialization
{
    /// <summary>
    /// PyTorch's <c>trunc_normal_(tensor, mean, std, a, b)</c> (inverse-CDF sampling, bounds a and b absolute, as timm
    /// uses it). TorchSharp 0.107's <c>nn.init.trunc_normal_</c> filled tensors with the constant <c>std</c> here,
    /// which made every attention head and MLP unit of a fresh ViT identical.
    /// </summary>
    public static void TruncatedNormal(Tensor tensor, double std, double mean = 0, double a = -2, double b = 2)
    {
        using var _ = no_grad();
        var low = NormalCdf((a - mean) / std);
        var high = NormalCdf((b - mean) / std);
        tensor.uniform_((2 * low) - 1, (2 * high) - 1);
        tensor.erfinv_();
        tensor.TimesInPlace(std * Math.Sqrt(2));
        tensor.PlusInPlace(mean);
        tensor.ClampInPlace(a, b);
    }

    /// <summary>The standard normal CDF, through erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7).</summary>
    private static double NormalCdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;

    private static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1 / (1 + (0.3275911 * x));
        var y = 1 - ((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }
}
