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
public sealed class HeldScalarAdamW(IEnumerable<AdamW.ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool amsgrad = false, bool maximize = false)
    : AdamW(groups, lr, beta1, beta2, eps, amsgrad: amsgrad, maximize: maximize)
{
    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        using var scalars = new GroupScalars(options);
        foreach (var param in group.Parameters)
        {
            Update(param, options, scalars);
        }
    }, closure);

    private void Update(Parameter param, Options options, GroupScalars scalars)
    {
        var state = (State)_state[param.Handle];
        var grad = param.grad;
        if (grad is null)
        {
            return;
        }

        if (options.maximize!.Value)
        {
            grad = grad.neg();
        }

        state.step += 1;
        param.mul_(scalars.Decay);
        var (root2, stepSize) = scalars.CorrectionsAt(state.step);
        state.exp_avg.mul_(scalars.Keep1).add_(grad, scalars.Mix1);
        state.exp_avg_sq.mul_(scalars.Keep2).addcmul_(grad, grad, scalars.Mix2);
        Tensor second = state.exp_avg_sq;
        if (options.amsgrad!.Value)
        {
            var previous = state.max_exp_avg_sq;
            state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
            previous.Dispose();
            second = state.max_exp_avg_sq;
        }

        var denominator = second.sqrt().div(root2).add_(scalars.Eps, HeldScalars.One);
        param.addcdiv_(state.exp_avg, denominator, stepSize);
    }

    /// <summary>
    /// A group's Scalars for one step, held until the group is done: its decay, betas and eps, and the bias corrections
    /// sqrt(1 - beta2^t) and -lr / (1 - beta1^t), made once per step count (every parameter of a group is usually at
    /// the same one), not once per parameter.
    /// </summary>
    private sealed class GroupScalars(Options options) : IDisposable
    {
        private readonly double beta1 = options.beta1!.Value;
        private readonly double beta2 = options.beta2!.Value;
        private readonly double lr = options.LearningRate!.Value;
        private long step = -1;
        private Scalar? root2;
        private Scalar? stepSize;

        public Scalar Decay { get; } = (1 - (options.LearningRate!.Value * options.weight_decay!.Value)).ToScalar();

        public Scalar Keep1 { get; } = options.beta1!.Value.ToScalar();

        public Scalar Mix1 { get; } = (1 - options.beta1!.Value).ToScalar();

        public Scalar Keep2 { get; } = options.beta2!.Value.ToScalar();

        public Scalar Mix2 { get; } = (1 - options.beta2!.Value).ToScalar();

        public Scalar Eps { get; } = options.eps!.Value.ToScalar();

        public (Scalar Root2, Scalar StepSize) CorrectionsAt(long t)
        {
            if (t != step)
            {
                DisposeCorrections();
                root2 = Math.Sqrt(1 - Math.Pow(beta2, t)).ToScalar();
                stepSize = (-lr / (1 - Math.Pow(beta1, t))).ToScalar();
                step = t;
            }

            return (root2!, stepSize!);
        }

        public void Dispose()
        {
            DisposeCorrections();
            foreach (var held in new[] { Decay, Keep1, Mix1, Keep2, Mix2, Eps })
            {
                held.Dispose();
            }
        }

        private void DisposeCorrections()
        {
            root2?.Dispose();
            stepSize?.Dispose();
            (root2, stepSize, step) = (null, null, -1);
        }
    }
}
