using System.Collections.Concurrent;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Runs;

/// <summary>
/// Whether a checkpoint file is still the one recorded: its length and sha256. Hashes are cached by (path, length,
/// modification time), so a large file is hashed once until it changes.
/// </summary>
public sealed class CheckpointIntegrity
{
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> hashes = new();

    /// <summary>The cheap checks, without reading the file: null if it is there at its recorded length, else why not.</summary>
    public static string? FileProblem(Checkpoint checkpoint)
    {
        var file = new FileInfo(checkpoint.FilePath);
        if (!file.Exists)
        {
            return $"The epoch {checkpoint.Epoch} checkpoint file '{checkpoint.FilePath}' has been deleted (it is no longer on disk).";
        }

        return file.Length != checkpoint.Bytes
            ? $"The epoch {checkpoint.Epoch} checkpoint file has changed on disk since it was written: corrupted or truncated ({checkpoint.Bytes:N0} bytes then, {file.Length:N0} now)."
            : null;
    }

    /// <summary>Null if the file is intact, else why it is not (missing, another length, another sha256).</summary>
    public async Task<string?> ProblemAsync(Checkpoint checkpoint, CancellationToken ct = default)
    {
        if (FileProblem(checkpoint) is { } problem)
        {
            return problem;
        }

        var file = new FileInfo(checkpoint.FilePath);
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        if (!hashes.TryGetValue(key, out var sha))
        {
            sha = await Task.Run(() => Checkpoints.Sha256Of(file.FullName), ct);
            hashes[key] = sha;
        }

        return string.Equals(sha, checkpoint.Sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"The epoch {checkpoint.Epoch} checkpoint file is corrupted on disk: its sha256 is {sha[..12]}…, recorded {checkpoint.Sha256[..12]}….";
    }
}
