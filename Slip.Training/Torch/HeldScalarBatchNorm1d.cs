using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Torch;

/// <summary>
/// BatchNorm over [N, C] or [N, C, L], as TorchSharp's <c>BatchNorm1d</c> (same parameters, buffers and state
/// dictionary names, the same <c>batch_norm</c> call), with the batch counter advanced through a held Scalar: TorchSharp's
/// forward does <c>num_batches_tracked.add_(1)</c> with implicit Scalars (see <see cref="HeldScalars"/>).
/// </summary>
public sealed class HeldScalarBatchNorm1d(long features, bool affine = true)
    : BatchNorm(features, eps: 1e-5, momentum: 0.1, affine, track_running_stats: true, device: null, dtype: null, name: "BatchNorm1d")
{
    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        var factor = momentum ?? 0.0;
        if (training && num_batches_tracked is { } counter)
        {
            counter.add_(HeldScalars.One, HeldScalars.One);
            factor = momentum ?? (1.0 / counter.item<long>());
        }

        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, factor, eps);
    }

    /// <inheritdoc/>
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim is not (2 or 3))
        {
            throw new ArgumentException($"BatchNorm1d expects a 2-D or 3-D input, got {input.ndim}-D.");
        }
    }
}
