using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// A part of <see cref="SlipModel"/> that an objective adds (the CLIP tower, an SSL method's branch): its modules and
/// parameters are registered on the model under their published state-dict names. Parameters are read back from the
/// model by name, because moving the model to another dtype or device replaces them there.
/// </summary>
public abstract class ModelBranch
{
    private Module? owner;

    /// <summary>The branch's parameters and modules, in registration order, with their state-dict names.</summary>
    protected abstract IEnumerable<ModelPart> Parts { get; }

    /// <summary>Registers every part on <paramref name="model"/>.</summary>
    public void AttachTo(Module model)
    {
        owner = model;
        foreach (var part in Parts)
        {
            if (part.Parameter is not null)
            {
                model.register_parameter(part.Name, part.Parameter);
            }
            else
            {
                model.register_module(part.Name, part.Module!);
            }
        }
    }

    /// <summary>The model's current parameter of that name (the one registered, or what a dtype or device move made of it).</summary>
    protected Parameter Registered(string name) =>
        owner?.named_parameters(recurse: false).FirstOrDefault(p => p.name == name).parameter
        ?? throw new InvalidOperationException($"The parameter '{name}' is not registered on a model.");
}

/// <summary>A parameter or module a branch adds to <see cref="SlipModel"/>, with its state-dict name.</summary>
public sealed record ModelPart(string Name, Module? Module = null, Parameter? Parameter = null)
{
    public ModelPart(string name, Parameter parameter) : this(name, null, parameter)
    {
    }
}
