using System.Collections.Concurrent;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Jobs;

/// <summary>
/// Whether a checkpoint file is still the one recorded: its length and sha256. Hashes are cached by (path, length,
/// modification time), so a large file is hashed once until it changes.
/// </summary>
public sealed class CheckpointIntegrity
{
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> hashes = new();

    /// <summary>Null if the file is intact, else why it is not (missing, another length, another sha256).</summary>
    public async Task<string?> ProblemAsync(Checkpoint checkpoint, CancellationToken ct = default)
    {
        var file = new FileInfo(checkpoint.FilePath);
        if (!file.Exists)
        {
            return $"The file of checkpoint {checkpoint.Id} (epoch {checkpoint.Epoch}) is no longer on disk.";
        }

        if (file.Length != checkpoint.Bytes)
        {
            return $"The file of checkpoint {checkpoint.Id} (epoch {checkpoint.Epoch}) is corrupted or truncated on disk: {file.Length:N0} bytes, recorded {checkpoint.Bytes:N0}.";
        }

        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (!hashes.TryGetValue(key, out var sha))
        {
            sha = await Task.Run(() => Checkpoints.Sha256Of(file.FullName), ct);
            hashes[key] = sha;
        }

        return string.Equals(sha, checkpoint.Sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"The file of checkpoint {checkpoint.Id} (epoch {checkpoint.Epoch}) is corrupted on disk: its sha256 is {sha[..12]}…, recorded {checkpoint.Sha256[..12]}…. It is not served.";
    }
}
