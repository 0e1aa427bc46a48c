using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;

namespace Slip.Web.Runs;

/// <summary>
/// The one way a checkpoint file becomes a run's checkpoint record: as its trainer reports it, or, for a file an
/// attempt wrote but did not live to record (its host died between the two), when the run is resumed.
/// </summary>
public static class CheckpointRecords
{
    /// <summary>
    /// Records <paramref name="path"/> (inside the run's checkpoint folder) as the checkpoint of <paramref name="epoch"/>,
    /// replacing a record of the same epoch (a resumed attempt rewrote the file), then applies the retention policy;
    /// returns the file's sha256.
    /// </summary>
    public static async Task<string> RecordAsync(SlipDbContext db, long runId, string path, int epoch, long step, RunConfig config, ILogger logger)
    {
        var sha = Checkpoints.Sha256Of(path);
        await db.Checkpoints.Where(c => c.RunId == runId && c.Epoch == epoch).ExecuteDeleteAsync();
        db.Checkpoints.Add(new Checkpoint
        {
            RunId = runId,
            Epoch = epoch,
            Step = step,
            FilePath = path,
            Bytes = new FileInfo(path).Length,
            Sha256 = sha,
            CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
        if (await CheckpointRetention.ApplyAsync(db, runId, config, logger) is { Count: > 0 } deleted)
        {
            logger.LogInformation("Run {RunId}: retention deleted the checkpoints of epochs {Epochs}.", runId, string.Join(", ", deleted));
        }

        return sha;
    }

    /// <summary>
    /// Records the epoch files in <paramref name="folder"/> that have no record and lie at or before the saved state
    /// the run resumes from (<paramref name="upToStep"/>): written by a lost attempt that died before recording them.
    /// Later files are left: the resumed attempt writes and records those epochs again. Returns the epochs recorded.
    /// </summary>
    public static async Task<IReadOnlyList<int>> RecordOrphansAsync(SlipDbContext db, long runId, string folder, long upToStep, long totalSteps, RunConfig config, ILogger logger)
    {
        if (!Directory.Exists(folder) || totalSteps <= 0)
        {
            return [];
        }

        var stepsPerEpoch = totalSteps / Math.Max(1, config.Optim.Epochs);
        var recorded = (await db.Checkpoints.Where(c => c.RunId == runId).Select(c => c.Epoch).ToListAsync()).ToHashSet();
        var found = new List<int>();
        foreach (var file in Directory.EnumerateFiles(folder, "epoch_*.pt").Order(StringComparer.Ordinal))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(file)["epoch_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                && !recorded.Contains(epoch) && epoch * stepsPerEpoch <= upToStep)
            {
                await RecordAsync(db, runId, Path.GetFullPath(file), epoch, epoch * stepsPerEpoch, config, logger);
                found.Add(epoch);
            }
        }

        if (found.Count > 0)
        {
            logger.LogWarning("Run {RunId}: recorded the checkpoints of epochs {Epochs}, written by an attempt that ended before recording them.", runId, string.Join(", ", found));
        }

        return found;
    }
}
