using System.CommandLine;
using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Evaluation;

namespace Slip.Training.Cli;

/// <summary>
/// Checkpoint verbs: <c>inspect</c> (what a file holds and which model it is), <c>export</c> (as a PyTorch state dict or
/// safetensors with the reference's key names) and <c>embed</c> (image and caption embeddings as .npy). A file that is
/// not a checkpoint, or weights that do not fit, are refused (2); a file that cannot be written is a failure (3).
/// </summary>
public static class CheckpointVerbs
{
    public static IEnumerable<Command> Create()
    {
        var inspectCheckpoint = Checkpoint();
        var inspect = new Command("inspect", "Show what a checkpoint holds: model, epoch, the release's arguments, which parameters weight decay touches.") { inspectCheckpoint };
        inspect.SetAction(parsed => Refusing(() => Inspect(parsed.GetRequiredValue(inspectCheckpoint))));

        var exportCheckpoint = Checkpoint();
        var exportOutput = Output("The file to write: .pt (torch.load) or .safetensors, with the reference's key names.", "file.pt|file.safetensors");
        var export = new Command("export", "Write a checkpoint's weights as a PyTorch state dict or safetensors.") { exportCheckpoint, exportOutput };
        export.SetAction(parsed => Refusing(() => Export(parsed.GetRequiredValue(exportCheckpoint), parsed.GetRequiredValue(exportOutput))));

        var embedCheckpoint = Checkpoint();
        var images = new Option<string>("--images") { Description = "A folder of images, or a text file listing image paths.", HelpName = "folder|list.txt" };
        images.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && !File.Exists(path) && !Directory.Exists(path))
            {
                result.AddError($"Images '{path}' do not exist.");
            }
        });
        var captions = CliOptions.ExistingFile("--captions", "A text file, one caption per line (blank lines skipped).", "Captions file", helpName: "captions.txt");
        var embedOutput = Output("The folder for image_embeddings.npy and text_embeddings.npy.", "dir");
        var bpeVocabulary = CliOptions.BpeVocabulary();
        var embed = new Command("embed", "Write L2-normalised image and caption embeddings (.npy, float32) as the reference's zero-shot code computes them.")
        {
            embedCheckpoint, images, captions, embedOutput, bpeVocabulary,
        };
        embed.Validators.Add(result =>
        {
            if (result.GetResult(images) is null && result.GetResult(captions) is null)
            {
                result.AddError("embed needs --images, --captions or both.");
            }
        });
        embed.SetAction(parsed => Refusing(() => Embed(
            parsed.GetRequiredValue(embedCheckpoint), parsed.GetValue(images), parsed.GetValue(captions), parsed.GetRequiredValue(embedOutput), CliOptions.BpeVocabularyPath(parsed, bpeVocabulary))));
        return [inspect, export, embed];

        static Option<string> Checkpoint() => CliOptions.ExistingFile(
            "--checkpoint", "Slip's epoch_NNN.pt, a PyTorch state dict, safetensors, or a released SLIP checkpoint.", "Checkpoint file", required: true);
        static Option<string> Output(string description, string helpName) => new("--out") { Description = description, Required = true, HelpName = helpName };
    }

    /// <summary>Runs a checkpoint verb; a bad file gets its reason, not a stack trace (nothing has been written for it).</summary>
    private static int Refusing(Func<int> verb)
    {
        try
        {
            return verb();
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or FormatException || ExitCodes.IsInputOutput(ex))
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.For(ex);
        }
    }

    public static int Inspect(string checkpoint)
    {
        var (model, config, contents) = Checkpoints.Open(checkpoint);
        using (model)
        {
            var (decay, noDecay) = Trainer.WeightDecayGroups(model);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                config.Objective,
                config.Model,
                contents.Epoch,
                contents.BestAcc1,
                Parameters = model.parameters().Sum(p => p.numel()),
                Args = contents.Args.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString()),
                Config = config,
                // The reference's weight-decay rule applied to this model: what AdamW decays and what it leaves alone.
                WeightDecay = decay.Select(d => d.Name),
                NoWeightDecay = noDecay.Select(d => d.Name),
            }, RunConfig.JsonOptions));
        }

        return ExitCodes.Completed;
    }

    public static int Export(string checkpoint, string output)
    {
        var (model, _, _) = Checkpoints.Open(checkpoint);
        using (model)
        {
            var file = Checkpoints.Save(model, Path.GetFullPath(output));
            Console.WriteLine($"{file.Path} ({file.Bytes} bytes, sha256 {file.Sha256})");
        }

        return ExitCodes.Completed;
    }

    /// <summary>
    /// Writes <c>image_embeddings.npy</c> and <c>text_embeddings.npy</c> (float32, one L2-normalised row per input, in
    /// input order) into <paramref name="output"/>, as the reference's zero-shot code computes them (eval mode,
    /// resize + centre crop).
    /// </summary>
    public static int Embed(string checkpoint, string? images, string? captions, string output, string? bpeVocabularyPath)
    {
        var (model, config, _) = Checkpoints.Open(checkpoint);
        using (model)
        {
            if (!model.HasText)
            {
                Console.Error.WriteLine($"'{checkpoint}' is a SimCLR model: it has no joint image-text embedding to write.");
                return ExitCodes.Usage;
            }

            if (config.Model == "custom" && !File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "config.json")))
            {
                // Head counts leave no trace in the weights: known towers use the reference's, others width / 64.
                Console.Error.WriteLine($"Warning: '{checkpoint}' is not a reference tower and has no config.json beside it; "
                    + $"attention heads were assumed to be {config.Vision.Heads} (vision) and {config.Text.Heads} (text).");
            }

            model.eval();
            Directory.CreateDirectory(output);
            if (images is not null)
            {
                var files = ImageFiles.List(images);
                var views = files.Select(f => Augmentations.EvalView(ImageFiles.Load(f), config.Vision.ImageSize)).ToList();
                using var rows = Encoders.Images(model, views, Encoders.ImageOutput.NormalisedEmbedding, batch: 32);
                NpyFile.WriteFloat32(Path.Combine(output, "image_embeddings.npy"), rows.data<float>().ToArray(), files.Count, config.Text.EmbedDim);
                Console.WriteLine($"{files.Count} image embeddings -> {Path.Combine(output, "image_embeddings.npy")}");
            }

            if (captions is not null)
            {
                var tokenizer = Tokenizers.Create(config, bpeVocabularyPath);
                var lines = File.ReadAllLines(captions).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
                using var rows = Encoders.Texts(model, tokenizer, lines, config.Text.ContextLength);
                NpyFile.WriteFloat32(Path.Combine(output, "text_embeddings.npy"), rows.data<float>().ToArray(), lines.Count, config.Text.EmbedDim);
                Console.WriteLine($"{lines.Count} caption embeddings -> {Path.Combine(output, "text_embeddings.npy")}");
            }
        }

        return ExitCodes.Completed;
    }
}
