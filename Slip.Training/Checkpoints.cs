using System.Security.Cryptography;
using Slip.Training.Models;
using TorchSharp.PyBridge;

namespace Slip.Training;

/// <summary>A checkpoint file written by the trainer: where it is, its length and its sha256.</summary>
public sealed record CheckpointFile(string Path, long Bytes, string Sha256);

/// <summary>Writes and reads model checkpoints as PyTorch state dicts (<c>torch.load</c> reads them), with the reference's key names.</summary>
public static class Checkpoints
{
    /// <summary>Saves the model's state dict to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static CheckpointFile Save(SlipModel model, string path)
    {
        var temp = path + ".tmp";
        model.save_py(temp);
        File.Move(temp, path, overwrite: true);
        return new CheckpointFile(path, new FileInfo(path).Length, Sha256Of(path));
    }

    /// <summary>Loads a state dict written by <see cref="Save"/> (or PyTorch) into <paramref name="model"/>; every key must match.</summary>
    public static void Load(SlipModel model, string path) => model.load_py(path, strict: true);

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
