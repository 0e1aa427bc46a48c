using System.Text.Json;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>The device self-check (<c>doctor</c>): libtorch's report, each device's training steps against the CPU's.</summary>
[Collection(GlobalTorchState.Name)]
public sealed class DoctorTests
{
    [Fact]
    public void DoctorChecksTheCpuByTrainingAndReportsAsJson()
    {
        var (code, stdout, _) = CliTests.Cli("doctor", "--device", "cpu", "--json");
        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(stdout);
        Assert.True(report.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(get_num_threads(), report.RootElement.GetProperty("torch").GetProperty("threads").GetInt32());
        var cpu = Assert.Single(report.RootElement.GetProperty("devices").EnumerateArray());
        var losses = cpu.GetProperty("cpuLosses").EnumerateArray().Select(l => l.GetSingle()).ToArray();
        Assert.Equal(DeviceCheck.Steps, losses.Length);
        // Three steps on one batch: the loss falls, so the backward pass and the update did something.
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
        Assert.Equal(losses, cpu.GetProperty("deviceLosses").EnumerateArray().Select(l => l.GetSingle()));
        Assert.Equal(0, cpu.GetProperty("maxRelativeDifference").GetDouble());
    }

    [Fact]
    public void ADeviceThatCannotBeUsedFailsTheCheckWithTheReason()
    {
        var (code, stdout, _) = CliTests.Cli("doctor", "--device", "tpu:0", "--device", "cpu");
        Assert.Equal(3, code);
        Assert.Contains("FAIL tpu:0: 'tpu:0' is not a device: use cpu, cuda or cuda:N.", stdout, StringComparison.Ordinal);
        Assert.Contains("ok   cpu: cpu trains", stdout, StringComparison.Ordinal);
        Assert.Contains("libtorch: TorchSharp ", stdout, StringComparison.Ordinal);
        if (!cuda.is_available())
        {
            Assert.Contains("sees no CUDA device", DeviceCheck.Run("cuda:0").Summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LossesOffByMoreThanTheToleranceOrNotFiniteFailTheComparison()
    {
        float[] cpu = [2.08f, 1.95f, 1.81f];
        Assert.True(DeviceCheck.Compare("cuda:0", "cuda:0", cpu, [2.081f, 1.951f, 1.812f], 1).Passed);
        var off = DeviceCheck.Compare("cuda:0", "cuda:0", cpu, [2.08f, 1.95f, 1.95f], 1);
        Assert.False(off.Passed);
        Assert.Contains("step 3 differs by 0.0773", off.Summary, StringComparison.Ordinal);
        var nan = DeviceCheck.Compare("cuda:0", "cuda:0", cpu, [2.08f, float.NaN, 1.81f], 1);
        Assert.False(nan.Passed);
        Assert.Contains("not finite", nan.Summary, StringComparison.Ordinal);
    }
}
