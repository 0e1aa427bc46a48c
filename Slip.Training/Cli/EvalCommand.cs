using System.Globalization;
using System.Text.Json;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;

namespace Slip.Training.Cli;

/// <summary>
/// <c>eval --checkpoint F [--dataset shapes | --format fashion-mnist|imagefolder|webdataset|csv --path P [--train-path P2]]
/// [--tasks zeroshot_classification,linear_probe,finetune,zeroshot_retrieval] [--limit n] [--train-limit n]
/// [--probe-epochs n] [--probe-lr x] [--ft-epochs n] [--ft-lr x] [--ft-batch n] [--image-size n] [--seed n]
/// [--out results.json] [--events]</c>, or <c>eval --request request.json</c> with the same settings as JSON (what the
/// dashboard's evaluation jobs run). Checks the request before any work, then prints one result per task in
/// clip_benchmark's shape (dataset, model, pretrained, task, metrics). With <c>--events</c> it writes JSON-lines
/// progress events as <c>train</c> does instead.
/// </summary>
public static class EvalCommand
{
    public static int Run(Dictionary<string, string> options, DataRoots roots, string? bpeVocabularyPath)
    {
        var events = options.ContainsKey("events");
        var stdout = Console.Out;
        void Emit(TrainerEvent e)
        {
            if (events)
            {
                stdout.WriteLine(e.ToJsonLine());
                stdout.Flush();
            }
        }

        int Refuse(string message, int code)
        {
            Console.Error.WriteLine(message);
            Emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = message });
            return code;
        }

        EvalRequest request;
        try
        {
            request = ReadRequest(options);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or IOException)
        {
            return Refuse(ex.Message, TrainCommand.ExitUsage);
        }

        if (string.IsNullOrWhiteSpace(request.Checkpoint) || !File.Exists(request.Checkpoint))
        {
            return Refuse(string.IsNullOrWhiteSpace(request.Checkpoint) ? "eval needs --checkpoint <file>." : $"The checkpoint file '{request.Checkpoint}' does not exist (was it deleted?).", TrainCommand.ExitUsage);
        }

        try
        {
            Emit(new TrainerEvent { Type = TrainerEvent.Started, TotalSteps = 1000, Message = "loading the checkpoint" });
            var (model, config, _) = Checkpoints.Open(request.Checkpoint);
            using (model)
            {
                if (request.Check(config, roots) is { Count: > 0 } errors)
                {
                    return Refuse(string.Join("\n", errors.Select(e => $"{e.Field}: {e.Message}")), TrainCommand.ExitUsage);
                }

                var results = EvalRunner.Run(request, model, config, roots, bpeVocabularyPath, p => Emit(new TrainerEvent
                {
                    Type = TrainerEvent.Progress,
                    Step = (long)Math.Round(p.Overall * 1000),
                    TotalSteps = 1000,
                    Message = p.Phase,
                }));
                var json = JsonSerializer.Serialize(results, RunConfig.JsonOptions);
                if (options.TryGetValue("out", out var output))
                {
                    File.WriteAllText(output, json);
                }

                if (events)
                {
                    foreach (var result in results)
                    {
                        Emit(new TrainerEvent { Type = TrainerEvent.Metrics, Step = 1000, TotalSteps = 1000, Values = result.Metrics, Message = result.Task });
                    }

                    Emit(new TrainerEvent { Type = TrainerEvent.Completed, Step = 1000, TotalSteps = 1000, Path = output });
                }
                else
                {
                    Console.WriteLine(json);
                }

                return TrainCommand.ExitCompleted;
            }
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex) || ex is ArgumentException)
        {
            return Refuse(ex.Message, TrainCommand.ExitUsage);
        }
    }

    /// <summary>The request from <c>--request file.json</c>, or from the command-line options.</summary>
    public static EvalRequest ReadRequest(Dictionary<string, string> options)
    {
        if (options.TryGetValue("request", out var file))
        {
            return JsonSerializer.Deserialize<EvalRequest>(File.ReadAllText(file), RunConfig.JsonOptions)
                ?? throw new FormatException($"'{file}' holds no evaluation request.");
        }

        int? Int(string key) => options.TryGetValue(key, out var text)
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"--{key} takes a whole number, not '{text}'.")
            : null;
        double? Real(string key) => options.TryGetValue(key, out var text)
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw new FormatException($"--{key} takes a number, not '{text}'.")
            : null;
        DatasetSource? Source(string pathKey) => options.TryGetValue(pathKey, out var path)
            ? new DatasetSource { Format = options.GetValueOrDefault("format", DatasetFormats.ImageFolder), Path = path }
            : null;
        var defaults = new EvalRequest();
        return new EvalRequest
        {
            Checkpoint = options.GetValueOrDefault("checkpoint", ""),
            Dataset = options.GetValueOrDefault("dataset", options.TryGetValue("path", out var p) ? Path.GetFileName(p.TrimEnd('/')) : "shapes"),
            Test = Source("path"),
            Train = Source("train-path"),
            Tasks = options.TryGetValue("tasks", out var tasks) ? tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : defaults.Tasks,
            Limit = Int("limit"),
            TrainLimit = Int("train-limit"),
            ImageSize = Int("image-size"),
            ProbeEpochs = Int("probe-epochs") ?? defaults.ProbeEpochs,
            ProbeLearningRate = Real("probe-lr"),
            FineTuneEpochs = Int("ft-epochs") ?? defaults.FineTuneEpochs,
            FineTuneLearningRate = Real("ft-lr"),
            FineTuneBatchSize = Int("ft-batch") ?? defaults.FineTuneBatchSize,
            Seed = Int("seed") ?? 0,
        };
    }
}
