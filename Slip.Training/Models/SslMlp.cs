using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// The projector and predictor MLPs of MoCo v3 and BYOL, as <c>Sequential</c>s so their keys read like PyTorch's
/// (<c>0.weight</c>, <c>1.running_mean</c>, ...). PyTorch's default init throughout.
/// </summary>
public static class SslMlp
{
    /// <summary>
    /// MoCo v3's <c>_build_mlp</c>: <paramref name="layers"/> bias-free Linears with BN + ReLU between them and an
    /// affine-free BN after the last (its ViT projector has 3 layers, its predictor 2).
    /// </summary>
    public static Sequential MocoV3(int layers, int inDim, int hiddenDim, int outDim)
    {
        var modules = new List<Module<Tensor, Tensor>>();
        for (var l = 0; l < layers; l++)
        {
            var last = l == layers - 1;
            var outFeatures = last ? outDim : hiddenDim;
            modules.Add(Linear(l == 0 ? inDim : hiddenDim, outFeatures, hasBias: false));
            modules.Add(new HeldScalarBatchNorm1d(outFeatures, affine: !last));
            if (!last)
            {
                modules.Add(ReLU());
            }
        }

        return Sequential(modules);
    }

    /// <summary>BYOL's projector and predictor: Linear, BN, ReLU, Linear (both Linears with bias).</summary>
    public static Sequential Byol(int inDim, int hiddenDim, int outDim) =>
        Sequential(Linear(inDim, hiddenDim), new HeldScalarBatchNorm1d(hiddenDim), ReLU(), Linear(hiddenDim, outDim));
}
