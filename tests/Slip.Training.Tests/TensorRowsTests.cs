using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

public sealed class TensorRowsTests
{
    [Fact]
    public void RowsAreTheTensorsOwnMemory()
    {
        using var batch = zeros([3, 2, 4], ScalarType.Float32, device: CPU);
        var rows = new TensorRows(batch);
        Assert.Equal((3, 8), (rows.Count, rows.RowLength));
        rows.Row(1).Fill(2f);
        rows.Row(2)[7] = 5f;
        Assert.Equal([0f, 16f, 5f], batch.sum([1, 2]).data<float>().ToArray());
        Assert.Equal(5f, batch[2, 1, 3].item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => rows.Row(3));
    }

    [Fact]
    public void OnlyContiguousFloatCpuTensorsAreWrittenInto()
    {
        using var doubles = zeros([2, 3], ScalarType.Float64, device: CPU);
        using var square = zeros([3, 3], ScalarType.Float32, device: CPU);
        using var transposed = square.t();
        Assert.Contains("contiguous float32 CPU tensor", Assert.Throws<ArgumentException>(() => new TensorRows(doubles)).Message);
        Assert.Throws<ArgumentException>(() => new TensorRows(transposed));
    }
}
