using Slip.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>
/// bf16 mixed precision without autocast (TorchSharp 0.107 has none): a bf16 copy of the model computes forward and
/// backward, its gradients are copied into the fp32 master model that the optimizer updates, and the updated
/// weights are copied back before the next step. Losses and softmax run in fp32.
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    private readonly SlipModel master;
    private readonly (Tensor Master, Tensor Low)[] parameters;
    private readonly (Tensor Master, Tensor Low)[] buffers;

    public MixedPrecision(SlipModel master, RunConfig config)
    {
        this.master = master;
        Compute = new SlipModel(config);
        Compute.to(Placement.DeviceOf(master)).to(ScalarType.BFloat16);
        Compute.train(master.training);
        var low = Compute.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        parameters = master.named_parameters().Select(p => ((Tensor)p.parameter, low[p.name])).ToArray();
        var lowBuffers = Compute.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        buffers = master.named_buffers().Select(b => (b.buffer, lowBuffers[b.name])).ToArray();
        CopyWeightsToCompute();
    }

    /// <summary>The bf16 model that runs forward and backward.</summary>
    public SlipModel Compute { get; }

    /// <summary>Master weights (and BatchNorm statistics) into the bf16 copy; done after every optimizer step.</summary>
    public void CopyWeightsToCompute()
    {
        using var _ = no_grad();
        foreach (var (m, l) in parameters.Concat(buffers))
        {
            l.copy_(m);
        }
    }

    /// <summary>The bf16 gradients, in fp32, onto the master parameters the optimizer updates.</summary>
    public void CopyGradientsToMaster()
    {
        foreach (var (m, l) in parameters)
        {
            // Assigned, not detached: the parameter keeps its own reference (platform notes, pitfall 12).
            m.grad = l.grad?.to(ScalarType.Float32);
        }
    }

    /// <summary>BatchNorm running statistics, which only the bf16 copy updates, back into the master (before saving it).</summary>
    public void CopyBuffersToMaster()
    {
        using var _ = no_grad();
        foreach (var (m, l) in buffers)
        {
            m.copy_(l);
        }
    }

    /// <summary>The bf16 copy of an input; token ids stay integers.</summary>
    public static Tensor? ToCompute(Tensor? input) => input is null || !input.is_floating_point() ? input : input.to(ScalarType.BFloat16);

    public void Dispose() => Compute.Dispose();
}
