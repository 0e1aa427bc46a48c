using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// SLIP's <c>image_mlp</c>: Linear-BN-ReLU, Linear-BN-ReLU, Linear to the SSL embedding. Applied to each view
/// separately, so BatchNorm statistics are per view, as in the reference.
/// </summary>
public sealed class SimClrHead : Module<Tensor, Tensor>
{
    private readonly Linear layer1;
    private readonly HeldScalarBatchNorm1d bn1;
    private readonly Linear layer2;
    private readonly HeldScalarBatchNorm1d bn2;
    private readonly Linear layer3;

    public SimClrHead(int inDim, int mlpDim, int outDim) : base(nameof(SimClrHead))
    {
        layer1 = Linear(inDim, mlpDim);
        bn1 = new HeldScalarBatchNorm1d(mlpDim);
        layer2 = Linear(mlpDim, mlpDim);
        bn2 = new HeldScalarBatchNorm1d(mlpDim);
        layer3 = Linear(mlpDim, outDim);
        RegisterComponents();
    }

    /// <summary>CLS features [B, D] to SSL embeddings [B, E_ssl].</summary>
    public override Tensor forward(Tensor x)
    {
        var h = functional.relu(bn1.call(layer1.call(x)));                    // [B, mlp]
        h = functional.relu(bn2.call(layer2.call(h)));                        // [B, mlp]
        return layer3.call(h);                                                // [B, E_ssl]
    }
}
