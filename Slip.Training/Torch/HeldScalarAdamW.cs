using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Torch;

/// <summary>
/// TorchSharp's <see cref="AdamW"/> with its step rewritten to hold every Scalar it passes (see <see cref="HeldScalars"/>):
/// the same update, operation for operation, on the same state, so its state dictionary, resume files and results
/// are those of TorchSharp's. TorchSharp's step makes seven implicit Scalars per parameter per step, the most of any
/// code a training step runs.
/// </summary>
public sealed class HeldScalarAdamW(IEnumerable<AdamW.ParamGroup> groups, double lr, double beta1, double beta2, double eps)
    : AdamW(groups, lr, beta1, beta2, eps)
{
    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        var (beta1, beta2, lr) = (options.beta1!.Value, options.beta2!.Value, options.LearningRate!.Value);
        using var decay = (1 - (lr * options.weight_decay!.Value)).ToScalar();
        using var keep1 = beta1.ToScalar();
        using var mix1 = (1 - beta1).ToScalar();
        using var keep2 = beta2.ToScalar();
        using var mix2 = (1 - beta2).ToScalar();
        using var eps = options.eps!.Value.ToScalar();
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            if (options.maximize!.Value)
            {
                grad = grad.neg();
            }

            state.step += 1;
            param.mul_(decay);
            var correction1 = 1 - Math.Pow(beta1, state.step);
            using var root2 = Math.Sqrt(1 - Math.Pow(beta2, state.step)).ToScalar();
            using var stepSize = (-lr / correction1).ToScalar();
            state.exp_avg.mul_(keep1).add_(grad, mix1);
            state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, mix2);
            Tensor second = state.exp_avg_sq;
            if (options.amsgrad!.Value)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                second = state.max_exp_avg_sq;
            }

            var denominator = second.sqrt().div(root2).add_(eps, HeldScalars.One);
            param.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);
}
