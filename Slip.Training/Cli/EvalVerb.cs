using System.CommandLine;
using System.Text.Json;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using TorchSharp;

namespace Slip.Training.Cli;

/// <summary>
/// <c>eval --checkpoint F [--dataset shapes | --format F --path P [--train-path P2]] [--tasks ...] [recipe options]</c>,
/// or <c>eval --request request.json</c> with the same settings as JSON (what the dashboard's evaluation jobs run).
/// Checks the request before any work, then prints one result per task in clip_benchmark's shape (dataset, model,
/// pretrained, task, metrics). With <c>--events</c> (or <c>--progress json</c>) it writes JSON-lines progress events as
/// <c>train</c> does instead; on a terminal it shows a progress bar, then the results.
/// </summary>
internal static class EvalVerb
{
    public static Command Create()
    {
        var checkpoint = CliOptions.ExistingFile("--checkpoint", "The checkpoint to evaluate (Slip's epoch_NNN.pt, a PyTorch state dict, safetensors, a released SLIP checkpoint).", "Checkpoint file");
        var request = CliOptions.ExistingFile("--request", "Every evaluation setting as JSON (an EvalRequest), instead of the options below.", "Request file", helpName: "request.json");
        var dataset = new Option<string>("--dataset") { Description = "A built-in dataset (shapes, shapes-mini), or the name in the results for --path." };
        var format = new Option<string>("--format") { Description = "The format of --path and --train-path (default: imagefolder).", HelpName = "format" };
        format.AcceptOnlyFromAmong([.. DatasetFormats.Names]);
        var path = new Option<string>("--path") { Description = "The evaluated split (folder, IDX folder, shards or CSV manifest).", HelpName = "location" };
        var trainPath = new Option<string>("--train-path") { Description = "The training split of an image folder, for the linear probe and fine-tuning.", HelpName = "location" };
        var tasks = new Option<string>("--tasks") { Description = $"Comma-separated: {string.Join(",", EvalRequest.AllTasks)} (default: {string.Join(",", new EvalRequest().Tasks)}).", HelpName = "list" };
        var limit = CliOptions.Number<int>("--limit", "At most this many evaluated samples (1,000 for streamed caption sets).", "a whole number");
        var trainLimit = CliOptions.Number<int>("--train-limit", "At most this many training samples for the probe and fine-tuning.", "a whole number");
        var imageSize = CliOptions.Number<int>("--image-size", "The input size; must be the checkpoint's.", "a whole number");
        var probeEpochs = CliOptions.Number<int>("--probe-epochs", "Linear-probe epochs (default: 90).", "a whole number");
        var probeLr = CliOptions.Number<double>("--probe-lr", "Linear-probe learning rate (default: the protocol's, 0.00625 for reference, 0.1 x batch / 256 for cached-features).", "a number above 0", x => x > 0);
        var probeProtocol = new Option<string>("--probe-protocol") { Description = "reference (main_linear.py: augmented every epoch, Resize 256 / CenterCrop 224 tests; the default) or cached-features (features computed once; fast).", HelpName = "protocol" };
        probeProtocol.AcceptOnlyFromAmong([.. EnumNames.All<ProbeProtocol>()]);
        var probeBatch = CliOptions.Number<int>("--probe-batch", "Linear-probe batch (default: 1024 for reference, 256 for cached-features).", "a whole number above 0", n => n > 0);
        var ftEpochs = CliOptions.Number<int>("--ft-epochs", "Fine-tuning epochs (default: 100).", "a whole number");
        var ftLr = CliOptions.Number<double>("--ft-lr", "Fine-tuning learning rate (default: 4e-3 x batch / 1024).", "a number above 0", x => x > 0);
        var ftBatch = CliOptions.Number<int>("--ft-batch", "Fine-tuning batch size (default: 64).", "a whole number");
        var seed = CliOptions.Number<int>("--seed", "Seed (default: 0).", "a whole number");
        var heads = CliOptions.Heads();
        var catalog = new Option<string>("--catalog") { Description = $"Class names and templates from the reference's zero-shot catalog for an image folder (imagenet: WNID folders, SLIP's 7 templates). One of: {string.Join(", ", ZeroShotCatalog.Keys)}.", HelpName = "dataset" };
        catalog.AcceptOnlyFromAmong([.. ZeroShotCatalog.Keys]);
        var truncation = CliOptions.TruncationRule("How prompts and captions over the context are cut (default: the run's rule; reference for a file without its run's config.json).", null);
        var output = new Option<string>("--out") { Description = "Also write the results (JSON) to this file.", HelpName = "results.json" };
        var events = new Option<bool>("--events") { Description = "Write JSON-lines progress events instead of the results (the same as --progress json)." };
        var progress = CliOptions.Progress("Progress on stdout: human (a progress bar on a terminal, then the results), json (as --events), auto (human on a terminal, else only the results).");
        var threads = CliOptions.Threads();
        var device = CliOptions.Device();
        var bpeVocabulary = CliOptions.BpeVocabulary();
        var dataRoots = CliOptions.DataRoots();
        Option[] settings = [checkpoint, dataset, format, path, trainPath, tasks, limit, trainLimit, imageSize, probeEpochs, probeLr, probeProtocol, probeBatch, ftEpochs, ftLr, ftBatch, seed, heads.Vision, heads.Text, truncation, catalog];
        var command = new Command("eval", "Evaluate a checkpoint: zero-shot, linear probe, fine-tuning, retrieval (clip_benchmark's results).")
        {
            request, output, events, progress, device, threads, bpeVocabulary, dataRoots,
        };
        foreach (var setting in settings)
        {
            command.Options.Add(setting);
        }

        command.Validators.Add(result =>
        {
            if (result.GetResult(request) is not null)
            {
                var given = settings.Where(o => result.GetResult(o) is not null).Select(o => o.Name).ToList();
                if (given.Count > 0)
                {
                    result.AddError($"--request takes every setting from its file; drop {string.Join(", ", given)}.");
                }
            }
            else if (result.GetResult(checkpoint) is null)
            {
                result.AddError("eval needs --checkpoint <file> or --request <file>.");
            }

            if (result.GetValue(events) && result.GetValue(progress) == "human")
            {
                result.AddError("--events writes JSON lines; it cannot be combined with --progress human.");
            }
        });

        command.SetAction(parsed =>
        {
            CliOptions.PrepareTorch(parsed, threads);
            var json = parsed.GetValue(events) || parsed.GetValue(progress) == "json";
            StdinWatch.Start(cancel: null);   // an evaluator a worker started ends with that worker
            var human = !json && CliOptions.ShowsHuman(parsed, progress);
            var roots = CliOptions.Roots(parsed, dataRoots);
            var vocabulary = CliOptions.BpeVocabularyPath(parsed, bpeVocabulary);
            EvalRequest evaluation;
            try
            {
                evaluation = parsed.GetValue(request) is { } file ? ReadRequest(file) : FromOptions(parsed);
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                return Refuse(ex.Message, ExitCodes.Usage, json ? TrainVerb.JsonLines : _ => { });
            }

            (int Code, string? Results) Evaluate(Action<TrainerEvent> emit) => Run(evaluation, parsed.GetValue(output), roots, vocabulary, parsed.GetRequiredValue(device), emit);
            var (code, results) = json ? Evaluate(TrainVerb.JsonLines) : human ? HumanProgress.Run(0, Evaluate) : Evaluate(_ => { });
            if (!json && results is not null)
            {
                Console.WriteLine(results);
            }

            return code;
        });
        return command;

        EvalRequest FromOptions(ParseResult parsed)
        {
            DatasetSource? Source(Option<string> location) => parsed.GetValue(location) is { } p
                ? new DatasetSource { Format = parsed.GetValue(format) ?? DatasetFormats.ImageFolder, Path = p }
                : null;
            var defaults = new EvalRequest();
            return new EvalRequest
            {
                Checkpoint = parsed.GetValue(checkpoint) ?? "",
                Dataset = parsed.GetValue(dataset) ?? (parsed.GetValue(path) is { } p ? Path.GetFileName(p.TrimEnd('/')) : defaults.Dataset),
                Test = Source(path),
                Train = Source(trainPath),
                Tasks = parsed.GetValue(tasks)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? defaults.Tasks,
                Limit = parsed.GetValue(limit),
                TrainLimit = parsed.GetValue(trainLimit),
                ImageSize = parsed.GetValue(imageSize),
                ProbeEpochs = parsed.GetValue(probeEpochs) ?? defaults.ProbeEpochs,
                ProbeLearningRate = parsed.GetValue(probeLr),
                ProbeProtocol = EnumNames.TryParse<ProbeProtocol>(parsed.GetValue(probeProtocol), out var protocol) ? protocol : defaults.ProbeProtocol,
                ProbeBatchSize = parsed.GetValue(probeBatch),
                FineTuneEpochs = parsed.GetValue(ftEpochs) ?? defaults.FineTuneEpochs,
                FineTuneLearningRate = parsed.GetValue(ftLr),
                FineTuneBatchSize = parsed.GetValue(ftBatch) ?? defaults.FineTuneBatchSize,
                Seed = parsed.GetValue(seed) ?? defaults.Seed,
                VisionHeads = parsed.GetValue(heads.Vision),
                TextHeads = parsed.GetValue(heads.Text),
                Truncation = CliOptions.TruncationOf(parsed, truncation),
                Catalog = parsed.GetValue(catalog),
            };
        }
    }

    /// <summary>The request in a <c>--request</c> file.</summary>
    public static EvalRequest ReadRequest(string file) =>
        JsonSerializer.Deserialize<EvalRequest>(File.ReadAllText(file), RunConfig.JsonOptions)
            ?? throw new FormatException($"'{file}' holds no evaluation request.");

    /// <summary>
    /// Runs one checked request: the results as JSON (also written to <paramref name="output"/>), or the refusal with
    /// its reason on stderr and as a <c>failed</c> event. A checkpoint gone missing since the request was written is a
    /// failure (3), not a usage error.
    /// </summary>
    private static (int Code, string? Results) Run(EvalRequest request, string? output, DataRoots roots, string? bpeVocabularyPath, TorchSharp.torch.Device device, Action<TrainerEvent> emit)
    {
        if (string.IsNullOrWhiteSpace(request.Checkpoint))
        {
            return (Refuse("The request names no checkpoint.", ExitCodes.Usage, emit), null);
        }

        if (!File.Exists(request.Checkpoint))
        {
            return (Refuse($"The checkpoint file '{request.Checkpoint}' does not exist (was it deleted?).", ExitCodes.Failed, emit), null);
        }

        try
        {
            emit(new TrainerEvent { Type = TrainerEvent.Started, TotalSteps = 1000, Message = "loading the checkpoint" });
            var (model, config, _, heads) = Checkpoints.Open(request.Checkpoint, request.Heads);
            using (model)
            {
                model.to(device);
                if (heads.Warning is { } warning)
                {
                    Console.Error.WriteLine(warning);
                }

                config = config with { Text = config.Text with { Truncation = request.Truncation ?? config.Text.Truncation } };
                if (request.Check(config, roots) is { Count: > 0 } errors)
                {
                    return (Refuse(string.Join("\n", errors.Select(e => $"{e.Field}: {e.Message}")), ExitCodes.Usage, emit), null);
                }

                var results = EvalRunner.Run(request, model, config, roots, bpeVocabularyPath, p => emit(new TrainerEvent
                {
                    Type = TrainerEvent.Progress,
                    Step = (long)Math.Round(p.Overall * 1000),
                    TotalSteps = 1000,
                    Message = p.Phase,
                }));
                var json = JsonSerializer.Serialize(results, RunConfig.JsonOptions);
                if (output is not null)
                {
                    File.WriteAllText(output, json);
                }

                foreach (var result in results)
                {
                    emit(new TrainerEvent { Type = TrainerEvent.Metrics, Step = 1000, TotalSteps = 1000, Values = result.Metrics, Message = result.Task });
                }

                emit(new TrainerEvent { Type = TrainerEvent.Completed, Step = 1000, TotalSteps = 1000, Path = output });
                return (ExitCodes.Completed, json);
            }
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex) || ex is ArgumentException)
        {
            return (Refuse(ex.Message, ExitCodes.For(ex), emit), null);
        }
    }

    private static int Refuse(string message, int code, Action<TrainerEvent> emit)
    {
        Console.Error.WriteLine(message);
        emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = message });
        return code;
    }
}
