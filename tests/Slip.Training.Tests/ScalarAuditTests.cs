using Slip.Training.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>
/// Slip's compiled trainer passes libtorch no Scalar that the collector could free during the call (see
/// <see cref="HeldScalars"/>); <see cref="ScalarRaceTests"/> shows the crash that would follow.
/// </summary>
public sealed class ScalarAuditTests
{
    [Fact]
    public void TheTrainerPassesNoScalarItDoesNotHold()
    {
        Assert.True(ScalarAudit.UnheldInTorchSharp > 100, "the audit found too few unheld TorchSharp methods to be reading TorchSharp's IL");
        var findings = ScalarAudit.Audit(typeof(HeldScalars).Assembly.Location);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void TheAuditFindsEachKindOfUnheldScalar()
    {
        var findings = ScalarAudit.Audit(typeof(ScalarAuditTests).Assembly.Location, t => t.FullName == typeof(UnheldSamples).FullName!.Replace('+', '/'));
        string[] expected =
        [
            "ImplicitConversion: an implicit Scalar from Double",
            "TensorPlusTensor: calls TorchSharp's Tensor.op_Addition",
            "ScalarArange: an implicit Scalar from Int64",
            "ScalarArange: calls TorchSharp's torch.arange",
            "LooseToScalar: a ToScalar not held",
            "TorchSharpBatchNorm: makes TorchSharp's BatchNorm1d",
            "TorchSharpAdamW: makes TorchSharp's AdamW",
        ];
        foreach (var finding in expected)
        {
            Assert.Contains(findings, f => f.Contains(finding, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(findings, f => f.Contains("::Held", StringComparison.Ordinal));
        Assert.Equal(expected.Length, findings.Count);
    }

    /// <summary>Code the audit must flag, one kind per method, and held code it must not.</summary>
    private static class UnheldSamples
    {
        public static Tensor ImplicitConversion(Tensor t) => t.mul(0.5);

        public static Tensor TensorPlusTensor(Tensor a, Tensor b) => a + b;

        public static Tensor ScalarArange(long n) => arange(n);

        public static Tensor LooseToScalar(Tensor t) => t.mul(0.5.ToScalar());

        public static nn.Module<Tensor, Tensor> TorchSharpBatchNorm() => nn.BatchNorm1d(4);

        public static optim.Optimizer TorchSharpAdamW(Tensor p) => optim.AdamW([new TorchSharp.Modules.Parameter(p)]);

        public static Tensor HeldToScalar(Tensor t)
        {
            using var half = 0.5.ToScalar();
            return t.mul(half);
        }

        public static Tensor HeldArithmetic(Tensor a, Tensor b) => a.Plus(b).Times(0.5);
    }
}
