using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;

namespace Slip.Training.Cli;

/// <summary>
/// <c>eval --checkpoint F [--dataset shapes | --format fashion-mnist|imagefolder --path P [--train-path P2]]
/// [--tasks zeroshot_classification,linear_probe,zeroshot_retrieval] [--limit n] [--train-limit n] [--probe-epochs n]
/// [--probe-lr x] [--out results.json]</c>: evaluates a checkpoint and prints one result per task in clip_benchmark's
/// shape (dataset, model, pretrained, task, metrics).
/// </summary>
public static class EvalCommand
{
    public const string ZeroShotTask = "zeroshot_classification";
    public const string LinearProbeTask = "linear_probe";
    public const string RetrievalTask = "zeroshot_retrieval";

    public static IReadOnlyList<string> Tasks { get; } = [ZeroShotTask, LinearProbeTask, RetrievalTask];

    public static int Run(Dictionary<string, string> options, DataRoots roots, string? bpeVocabularyPath)
    {
        if (!options.TryGetValue("checkpoint", out var checkpoint))
        {
            Console.Error.WriteLine("eval needs --checkpoint <file>.");
            return TrainCommand.ExitUsage;
        }

        var tasks = options.GetValueOrDefault("tasks", string.Join(',', Tasks)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tasks.FirstOrDefault(t => !Tasks.Contains(t)) is { } unknown)
        {
            Console.Error.WriteLine($"Unknown task '{unknown}'. Known: {string.Join(", ", Tasks)}.");
            return TrainCommand.ExitUsage;
        }

        try
        {
            var results = Evaluate(checkpoint, options, tasks, roots, bpeVocabularyPath);
            var json = JsonSerializer.Serialize(results, RunConfig.JsonOptions);
            Console.WriteLine(json);
            if (options.TryGetValue("out", out var output))
            {
                File.WriteAllText(output, json);
            }

            return TrainCommand.ExitCompleted;
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex) || ex is ArgumentException)
        {
            Console.Error.WriteLine(ex.Message);
            return TrainCommand.ExitUsage;
        }
    }

    private static List<EvalResult> Evaluate(string checkpoint, Dictionary<string, string> options, string[] tasks, DataRoots roots, string? bpeVocabularyPath)
    {
        var (model, config, _) = Checkpoints.Open(checkpoint);
        using (model)
        {
            model.eval();
            if (!model.HasText && tasks.Any(t => t != LinearProbeTask))
            {
                throw new InvalidOperationException($"'{checkpoint}' is an image-only (SSL) model: it has no text tower for zero-shot or retrieval; use --tasks linear_probe.");
            }

            int? Limit(string key) => options.TryGetValue(key, out var text) && int.TryParse(text, out var n) && n > 0 ? n : null;
            var dataset = options.GetValueOrDefault("dataset", options.ContainsKey("path") ? Path.GetFileName(options["path"].TrimEnd('/')) : "shapes");
            DatasetSource? Source(string pathKey) => options.TryGetValue(pathKey, out var path)
                ? new DatasetSource { Format = options.GetValueOrDefault("format", DatasetFormats.ImageFolder), Path = path }
                : null;
            var testSource = Source("path");
            var test = EvalSet.Load(dataset, testSource, train: false, config.ImageSize, Limit("limit"), roots);
            var tokenizer = model.HasText ? Tokenizers.Create(config, bpeVocabularyPath) : null;
            var results = new List<EvalResult>();
            foreach (var task in tasks)
            {
                var metrics = task switch
                {
                    ZeroShotTask => ZeroShot.Evaluate(model, test, tokenizer!, config.ContextLength),
                    RetrievalTask => Retrieval.Evaluate(model, test, tokenizer!, config.ContextLength),
                    _ => LinearProbe.Evaluate(model, EvalSet.Load(dataset, Source("train-path") ?? testSource, train: true, config.ImageSize, Limit("train-limit"), roots), test, new LinearProbeOptions
                    {
                        Epochs = Limit("probe-epochs") ?? 90,
                        LearningRate = options.TryGetValue("probe-lr", out var lr) ? double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture) : null,
                    }),
                };
                results.Add(new EvalResult(dataset, config.ObjectiveLabel + " " + config.Model, Path.GetFullPath(checkpoint), task, metrics));
            }

            return results;
        }
    }
}

/// <summary>One evaluation result, shaped like clip_benchmark's output so the two can be compared.</summary>
public sealed record EvalResult(string Dataset, string Model, string Pretrained, string Task, Dictionary<string, double> Metrics)
{
    public string Language { get; init; } = "en";
}
