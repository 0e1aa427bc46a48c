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

    private sealed record State(long Step, string Config);

    public static bool Exists(string outputDirectory) => File.Exists(Path.Combine(outputDirectory, Folder, "state.json"));

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
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(new State(step, config.ToJson())));
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
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(folder, "state.json")))
                ?? throw new InvalidDataException("empty state");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The resume state in '{folder}' is unreadable: {ex.Message}", ex);
        }

        if (RunConfig.FromJson(state.Config) != config)
        {
            throw new InvalidDataException($"The resume state in '{folder}' was saved by a run with a different config; start a new output folder.");
        }

        Checkpoints.Load(model, Path.Combine(folder, "model.pt"));
        optimizer.load_py(Path.Combine(folder, "optimizer.pt"));
        return state.Step;
    }
}
