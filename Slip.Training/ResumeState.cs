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

    public static bool Exists(string outputDirectory) => File.Exists(Path.Combine(outputDirectory, Folder, "state.json"));

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

    /// <summary>Writes the state to a temporary folder and swaps it in, so a crash mid-write leaves the previous state.</summary>
    public static void Save(string outputDirectory, RunConfig config, SlipModel model, AdamW optimizer, long step)
    {
        var target = Path.Combine(outputDirectory, Folder);
        var temp = target + ".tmp";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        Directory.CreateDirectory(temp);
        Checkpoints.Save(model, Path.Combine(temp, "model.pt"));
        optimizer.save_py(Path.Combine(temp, "optimizer.pt"));
        var hashes = Files.ToDictionary(f => f, f => Checkpoints.Sha256Of(Path.Combine(temp, f)));
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(new State(step, config.ToJson(), hashes)));
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.Move(temp, target);
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
        optimizer.load_py(Path.Combine(folder, "optimizer.pt"));
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
