using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>
/// What a checkpoint file holds: the weights under the reference's key names (without DDP's <c>module.</c>), and, for
/// files laid out like SLIP's released checkpoints, the epoch, best zero-shot accuracy and the run's arguments.
/// </summary>
public sealed record CheckpointContents(Dictionary<string, Tensor> StateDict, long? Epoch, double? BestAcc1, IReadOnlyDictionary<string, object?> Args)
{
    /// <summary>
    /// Reads a PyTorch state dict, a SLIP release file (a dict with <c>state_dict</c>, <c>epoch</c>, <c>optimizer</c>,
    /// <c>scaler</c>, <c>best_acc1</c>, <c>args</c>) or a safetensors file. Throws <see cref="InvalidDataException"/>
    /// saying what the file is instead when it is none of these.
    /// </summary>
    public static CheckpointContents Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The checkpoint '{path}' does not exist.", path);
        }

        using var host = Placement.OnHost();   // the weights come to the host; loading copies them to the model's device
        try
        {
            if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                return new CheckpointContents(StripModulePrefix(Safetensors.LoadStateDict(path)), null, null, new Dictionary<string, object?>());
            }

            var top = PyTorchUnpickler.UnpickleStateDict(path);
            if (top["state_dict"] is IDictionary inner)
            {
                return new CheckpointContents(
                    StripModulePrefix(Tensors(inner)),
                    top["epoch"] is { } epoch ? Convert.ToInt64(epoch, System.Globalization.CultureInfo.InvariantCulture) : null,
                    top["best_acc1"] is { } best ? Convert.ToDouble(best, System.Globalization.CultureInfo.InvariantCulture) : null,
                    Arguments(top["args"]));
            }

            var tensors = Tensors(top);
            if (tensors.Count == 0)
            {
                var keys = string.Join(", ", top.Keys.Cast<object>().Take(8));
                throw new InvalidDataException($"'{path}' is a pickled dictionary but holds no weights and no 'state_dict' (keys: {keys}).");
            }

            return new CheckpointContents(StripModulePrefix(tensors), null, null, new Dictionary<string, object?>());
        }
        catch (Exception ex) when (ex is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' is not a readable PyTorch state dict (.pt), SLIP checkpoint or safetensors file: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, Tensor> Tensors(IDictionary table)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key && entry.Value is Tensor value)
            {
                result[key] = value;
            }
        }

        return result;
    }

    private static Dictionary<string, Tensor> StripModulePrefix(Dictionary<string, Tensor> stateDict) =>
        stateDict.ToDictionary(kv => kv.Key.StartsWith("module.", StringComparison.Ordinal) ? kv.Key["module.".Length..] : kv.Key, kv => kv.Value);

    /// <summary>The run's argparse Namespace as name/value pairs (the unpickler gives its attribute dictionary).</summary>
    private static Dictionary<string, object?> Arguments(object? args)
    {
        var result = new Dictionary<string, object?>();
        if (args is IDictionary fields)
        {
            foreach (DictionaryEntry entry in fields)
            {
                if (entry.Key is string key && key != "__class__")
                {
                    result[key] = entry.Value;
                }
            }
        }

        return result;
    }
}
