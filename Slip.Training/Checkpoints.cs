using System.Security.Cryptography;
using Slip.Training.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Slip.Training;

/// <summary>A checkpoint file written by the trainer: where it is, its length and its sha256.</summary>
public sealed record CheckpointFile(string Path, long Bytes, string Sha256);

/// <summary>
/// Model weights as PyTorch state dicts (<c>.pt</c>, which <c>torch.load</c> reads) or safetensors, with the
/// published SLIP key names. Loading checks every key and shape before it changes anything.
/// </summary>
public static class Checkpoints
{
    /// <summary>Saves the model's state dict to <paramref name="path"/> atomically (temporary file, then rename); its size and hash are those of the file as written.</summary>
    public static CheckpointFile Save(SlipModel model, string path)
    {
        var temp = path + ".tmp";
        using var host = Placement.OnHost();   // the writers' own temporaries; weights on a GPU are copied to the host as they are written
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            model.save_safetensors(temp);
        }
        else
        {
            model.save_py(temp);
        }

        // Measured before the rename: once in place the file is the user's (a cleanup may delete it at once), and the
        // trainer never reads it back.
        var file = new CheckpointFile(path, new FileInfo(temp).Length, Sha256Of(temp));
        File.Move(temp, path, overwrite: true);
        return file;
    }

    /// <summary>
    /// Loads weights into <paramref name="model"/>. Every key must match in name and shape; otherwise an
    /// <see cref="InvalidDataException"/> lists what is missing, unexpected or mis-shaped and the model is unchanged.
    /// </summary>
    public static void Load(SlipModel model, string path)
    {
        var source = CheckpointContents.Read(path).StateDict;
        try
        {
            Load(model, source, path);
        }
        finally
        {
            foreach (var tensor in source.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Loads a state dict already read from <paramref name="sourceName"/>, with the same checks.</summary>
    public static void Load(SlipModel model, IReadOnlyDictionary<string, Tensor> source, string sourceName)
    {
        var target = model.state_dict();
        var missing = target.Keys.Except(source.Keys).ToList();
        var unexpected = source.Keys.Except(target.Keys).ToList();
        var misshaped = target.Keys.Intersect(source.Keys)
            .Where(k => !target[k].shape.SequenceEqual(source[k].shape))
            .Select(k => $"{k} is [{string.Join(", ", source[k].shape)}] in the file, [{string.Join(", ", target[k].shape)}] in the model")
            .ToList();
        if (missing.Count + unexpected.Count + misshaped.Count > 0)
        {
            throw new InvalidDataException($"'{sourceName}' does not fit this model: " + string.Join("; ", new[]
            {
                missing.Count > 0 ? $"missing {Few(missing)}" : null,
                unexpected.Count > 0 ? $"unexpected {Few(unexpected)}" : null,
                misshaped.Count > 0 ? Few(misshaped) : null,
            }.Where(s => s is not null)));
        }

        using var _ = no_grad();
        foreach (var (key, value) in target)
        {
            value.copy_(source[key]);
        }
    }

    /// <summary>
    /// Opens any checkpoint as a model: the config is the run's <c>config.json</c> beside the file when there is one
    /// (Slip's own runs), otherwise inferred from the weights (release files, exports); head counts as
    /// <see cref="ModelInference.Resolve"/> finds them, <paramref name="heads"/> first. Counts that do not divide their
    /// tower's width are refused (<see cref="FormatException"/>).
    /// </summary>
    public static OpenedCheckpoint Open(string path, HeadCounts? heads = null)
    {
        var contents = CheckpointContents.Read(path);
        var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
        var resolved = ModelInference.Resolve(contents.StateDict, contents.Args, File.Exists(beside) ? RunConfig.FromJson(File.ReadAllText(beside)) : null, heads ?? HeadCounts.None);
        var config = resolved.Config;
        if ((heads ?? HeadCounts.None).Problems(config).ToList() is { Count: > 0 } problems)
        {
            throw new FormatException(string.Join(" ", problems));
        }

        var model = new SlipModel(config);
        try
        {
            Load(model, contents.StateDict, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return new OpenedCheckpoint(model, config, contents, resolved);
    }

    private static string Few(List<string> items) =>
        string.Join(", ", items.Take(5)) + (items.Count > 5 ? $" and {items.Count - 5} more" : "");

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>A checkpoint opened as a model: its config, what the file held, and where its head counts came from.</summary>
public sealed record OpenedCheckpoint(SlipModel Model, RunConfig Config, CheckpointContents Contents, ResolvedHeads Heads);
