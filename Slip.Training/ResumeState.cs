using System.Text.Json;
using Slip.Training.Models;
using TorchSharp.Modules;
using TorchSharp.PyBridge;

namespace Slip.Training;

/// <summary>
/// What a run needs to continue exactly where it stopped: model weights, AdamW state (both PyTorch files), the global
/// step and the config they belong to, in <c>OUT/resume/</c>. The schedule is a function of the step, and the data
/// order and augmentations of (seed, epoch, index), so nothing else is needed.
/// </summary>
public static class ResumeState
{
    private const string Folder = "resume";

    private static readonly string[] Files = ["model.pt", "optimizer.pt"];

    /// <summary>The saved step, the config, and the sha256 of each file (absent in states saved before hashes were kept).</summary>
    private sealed record State(long Step, string Config, Dictionary<string, string>? Sha256 = null);

    /// <summary>Whether there is saved state (finishing a swap a crash interrupted first, see <see cref="Recover"/>).</summary>
    public static bool Exists(string outputDirectory)
    {
        Recover(outputDirectory);
        return File.Exists(Path.Combine(outputDirectory, Folder, "state.json"));
    }

    /// <summary>
    /// Finishes a <see cref="Save"/> that a crash interrupted: its swap renames <c>resume/</c> to <c>resume.old/</c>,
    /// then the complete <c>resume.tmp/</c> (its state.json is written last) to <c>resume/</c>, then deletes the old
    /// one. With no <c>resume/</c>, the complete new state is moved in, or else the old one put back; with one, any
    /// leftover old state is deleted.
    /// </summary>
    public static void Recover(string outputDirectory)
    {
        var target = Path.Combine(outputDirectory, Folder);
        var (temp, old) = (target + ".tmp", target + ".old");
        if (!Directory.Exists(target))
        {
            if (File.Exists(Path.Combine(temp, "state.json")))
            {
                Directory.Move(temp, target);
            }
            else if (Directory.Exists(old))
            {
                Directory.Move(old, target);
            }
        }

        if (Directory.Exists(target) && Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
    }

    /// <summary>The step a resume would continue from, or null when there is no (readable) state.</summary>
    public static long? StepOf(string outputDirectory)
    {
        try
        {
            return Exists(outputDirectory) ? Read(Path.Combine(outputDirectory, Folder)).Step : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// What is wrong with the saved state (unreadable, a file missing, truncated or corrupted: its sha256 no longer
    /// matches), or null when it is sound or there is none.
    /// </summary>
    public static string? Problem(string outputDirectory)
    {
        var folder = Path.Combine(outputDirectory, Folder);
        if (!Exists(outputDirectory))
        {
            return null;
        }

        State state;
        try
        {
            state = Read(folder);
        }
        catch (InvalidDataException ex)
        {
            return ex.Message;
        }

        foreach (var file in Files)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                return $"The resume state's {file} is missing from '{folder}'.";
            }

            if (state.Sha256?.TryGetValue(file, out var expected) == true && !string.Equals(Checkpoints.Sha256Of(path), expected, StringComparison.OrdinalIgnoreCase))
            {
                return $"The resume state's {file} in '{folder}' no longer matches its sha256 (truncated or corrupted on disk); it cannot be resumed from.";
            }
        }

        return null;
    }

    /// <summary>
    /// Writes the state to a temporary folder, flushed to disk, and swaps it in by two renames, so a crash at any point
    /// leaves the previous state or the new one (see <see cref="Recover"/>).
    /// </summary>
    public static void Save(string outputDirectory, RunConfig config, SlipModel model, AdamW optimizer, long step)
    {
        var target = Path.Combine(outputDirectory, Folder);
        var temp = target + ".tmp";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        Directory.CreateDirectory(temp);
        using (Placement.OnHost())   // PyBridge makes its own temporaries (the step count) on the default device
        {
            Checkpoints.Save(model, Path.Combine(temp, "model.pt"));
            optimizer.save_py(Path.Combine(temp, "optimizer.pt"));
        }

        var hashes = Files.ToDictionary(f => f, f => Checkpoints.Sha256Of(Path.Combine(temp, f)));
        foreach (var file in Files)
        {
            FlushToDisk(Path.Combine(temp, file));
        }

        // state.json last, and on disk before the swap: a temporary folder with it is complete.
        var stateFile = Path.Combine(temp, "state.json");
        File.WriteAllText(stateFile, JsonSerializer.Serialize(new State(step, config.ToJson(), hashes)));
        FlushToDisk(stateFile);
        var old = target + ".old";
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }

        // Two renames, never a moment with neither state on disk (Recover finishes a swap a crash cut short).
        if (Directory.Exists(target))
        {
            Directory.Move(target, old);
        }

        Directory.Move(temp, target);
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
    }

    private static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Restores model and optimizer and returns the step to continue from; refuses state saved for another config.</summary>
    public static long Load(string outputDirectory, RunConfig config, SlipModel model, AdamW optimizer)
    {
        var folder = Path.Combine(outputDirectory, Folder);
        if (Problem(outputDirectory) is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        var state = Read(folder);
        if (RunConfig.FromJson(state.Config) != config)
        {
            throw new InvalidDataException($"The resume state in '{folder}' was saved by a run with a different config; start a new output folder.");
        }

        Checkpoints.Load(model, Path.Combine(folder, "model.pt"));
        using (Placement.OnHost())
        {
            optimizer.load_py(Path.Combine(folder, "optimizer.pt"));
        }

        // PyBridge puts the moments it read in place as they came (on the host): they go where the parameters are.
        var device = Placement.DeviceOf(model);
        foreach (var moments in optimizer.state_dict().State)
        {
            moments.to(device);
        }

        return state.Step;
    }

    private static State Read(string folder)
    {
        try
        {
            return JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(folder, "state.json")))
                ?? throw new InvalidDataException($"The resume state in '{folder}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The resume state in '{folder}' is unreadable: {ex.Message}", ex);
        }
    }
}
