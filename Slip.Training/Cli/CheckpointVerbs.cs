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
        var inspectHeads = CliOptions.Heads();
        var inspect = new Command("inspect", "Show what a checkpoint holds: model, epoch, the release's arguments, where its head counts came from, which parameters weight decay touches.")
        {
            inspectCheckpoint, inspectHeads.Vision, inspectHeads.Text,
        };
        inspect.SetAction(parsed => Refusing(() => Inspect(parsed.GetRequiredValue(inspectCheckpoint), CliOptions.HeadCounts(parsed, inspectHeads))));

        var exportCheckpoint = Checkpoint();
        var exportHeads = CliOptions.Heads();
        var exportOutput = Output("The file to write: .pt (torch.load) or .safetensors, with the reference's key names.", "file.pt|file.safetensors");
        var export = new Command("export", "Write a checkpoint's weights as a PyTorch state dict or safetensors.") { exportCheckpoint, exportOutput, exportHeads.Vision, exportHeads.Text };
        export.SetAction(parsed => Refusing(() => Export(parsed.GetRequiredValue(exportCheckpoint), parsed.GetRequiredValue(exportOutput), CliOptions.HeadCounts(parsed, exportHeads))));

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
        var embedHeads = CliOptions.Heads();
        var truncation = CliOptions.TruncationRule("What an over-long caption keeps (default: the run's rule; reference, the released code's cut, for a file without its run's config.json).", null);
        var embed = new Command("embed", "Write L2-normalised image and caption embeddings (.npy, float32) as the reference's zero-shot code computes them.")
        {
            embedCheckpoint, images, captions, embedOutput, bpeVocabulary, embedHeads.Vision, embedHeads.Text, truncation,
        };
        embed.Validators.Add(result =>
        {
            if (result.GetResult(images) is null && result.GetResult(captions) is null)
            {
                result.AddError("embed needs --images, --captions or both.");
            }
        });
        embed.SetAction(parsed => Refusing(() => Embed(
            parsed.GetRequiredValue(embedCheckpoint),
            new EmbedInputs(parsed.GetValue(images), parsed.GetValue(captions), CliOptions.TruncationOf(parsed, truncation)),
            parsed.GetRequiredValue(embedOutput),
            CliOptions.HeadCounts(parsed, embedHeads),
            CliOptions.BpeVocabularyPath(parsed, bpeVocabulary))));
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

    public static int Inspect(string checkpoint, HeadCounts heads)
    {
        var (model, config, contents, resolved) = Checkpoints.Open(checkpoint, heads);
        using (model)
        {
            WarnAboutGuessedHeads(resolved);
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
                HeadsFrom = new { Vision = EnumNames.Of(resolved.Vision), Text = EnumNames.Of(resolved.Text) },
                // The reference's weight-decay rule applied to this model: what AdamW decays and what it leaves alone.
                WeightDecay = decay.Select(d => d.Name),
                NoWeightDecay = noDecay.Select(d => d.Name),
            }, RunConfig.JsonOptions));
        }

        return ExitCodes.Completed;
    }

    public static int Export(string checkpoint, string output, HeadCounts heads)
    {
        var (model, _, _, resolved) = Checkpoints.Open(checkpoint, heads);
        using (model)
        {
            WarnAboutGuessedHeads(resolved);
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
    public static int Embed(string checkpoint, EmbedInputs inputs, string output, HeadCounts heads, string? bpeVocabularyPath)
    {
        var (model, config, _, resolved) = Checkpoints.Open(checkpoint, heads);
        var (images, captions, truncation) = inputs;
        using (model)
        {
            if (!model.HasText)
            {
                Console.Error.WriteLine($"'{checkpoint}' is a SimCLR model: it has no joint image-text embedding to write.");
                return ExitCodes.Usage;
            }

            WarnAboutGuessedHeads(resolved);
            config = config with { Text = config.Text with { Truncation = truncation ?? config.Text.Truncation } };

            model.eval();
            Directory.CreateDirectory(output);
            if (images is not null)
            {
                var files = ImageFiles.List(images);
                var views = files.Select(f => Augmentations.EvalView(ImageFiles.Load(f), config.Vision.ImageSize)).ToList();
                using var rows = Encoders.Images(model, views, Encoders.ImageOutput.NormalisedEmbedding, batch: 32);
                NpyFile.WriteFloat32(Path.Combine(output, "image_embeddings.npy"), Placement.ToHost<float>(rows), files.Count, config.Text.EmbedDim);
                Console.WriteLine($"{files.Count} image embeddings -> {Path.Combine(output, "image_embeddings.npy")}");
            }

            if (captions is not null)
            {
                var tokenizer = Tokenizers.Create(config, bpeVocabularyPath);
                var lines = File.ReadAllLines(captions).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
                using var rows = Encoders.Texts(model, tokenizer, lines, config.Text.ContextLength);
                NpyFile.WriteFloat32(Path.Combine(output, "text_embeddings.npy"), Placement.ToHost<float>(rows), lines.Count, config.Text.EmbedDim);
                Console.WriteLine($"{lines.Count} caption embeddings -> {Path.Combine(output, "text_embeddings.npy")}");
            }
        }

        return ExitCodes.Completed;
    }

    /// <summary>Head counts leave no trace in the weights: say so when they had to be guessed, naming the flags.</summary>
    private static void WarnAboutGuessedHeads(ResolvedHeads resolved)
    {
        if (resolved.Warning is { } warning)
        {
            Console.Error.WriteLine(warning);
        }
    }
}

/// <summary>What <c>embed</c> embeds: a folder or list of images, a file of captions, and the captions' truncation rule (null: the run's).</summary>
public sealed record EmbedInputs(string? Images, string? Captions, Truncation? Truncation);
