using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Slip.Training.Torch;

/// <summary>
/// TorchSharp's <see cref="SGD"/> with its step rewritten to hold every Scalar it passes (see <see cref="HeldScalars"/>):
/// the same update, operation for operation, on the same state (momentum, dampening, weight decay, Nesterov).
/// </summary>
public sealed class HeldScalarSgd(IEnumerable<Parameter> parameters, double lr, double momentum)
    : SGD(parameters, lr, momentum)
{
    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        var (momentum, decay, nesterov) = (options.momentum!.Value, options.weight_decay!.Value, options.nesterov!.Value);
        var lr = options.LearningRate!.Value;
        using var momentumScalar = momentum.ToScalar();
        using var decayScalar = decay.ToScalar();
        using var mix = (1 - options.dampening!.Value).ToScalar();
        using var rate = (options.maximize!.Value ? lr : -lr).ToScalar();
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            if (decay != 0)
            {
                grad = grad.add(param, decayScalar);
            }

            if (momentum != 0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                {
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                    state.momentum_buffer = buffer;
                }
                else
                {
                    buffer.mul_(momentumScalar).add_(grad, mix);
                }

                grad = nesterov ? grad.add(buffer, momentumScalar) : buffer;
            }

            param.add_(grad, rate);
        }
    }, closure);
}
