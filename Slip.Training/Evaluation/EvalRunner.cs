using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Models;

namespace Slip.Training.Evaluation;

/// <summary>Where an evaluation stands: the task running (index of count), how far into it, and what it is doing.</summary>
public sealed record EvalProgress(int TaskIndex, int TaskCount, string Task, double Fraction, string Phase)
{
    /// <summary>Overall fraction done, 0..1.</summary>
    public double Overall => TaskCount == 0 ? 1 : (TaskIndex + Math.Clamp(Fraction, 0, 1)) / TaskCount;
}

/// <summary>One evaluation result, shaped like clip_benchmark's output so the two can be compared.</summary>
public sealed record EvalResult(string Dataset, string Model, string Pretrained, string Task, Dictionary<string, double> Metrics, string? Protocol = null)
{
    public string Language { get; init; } = "en";

    /// <summary>All metrics of all tasks in one dictionary (task metric names do not collide: acc1, lp_acc1, ft_acc1, ...).</summary>
    public static Dictionary<string, double> Merge(IEnumerable<EvalResult> results) =>
        results.SelectMany(r => r.Metrics).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
}

/// <summary>Runs a checked <see cref="EvalRequest"/> on a loaded checkpoint: each task in turn, reporting progress.</summary>
public static class EvalRunner
{
    public static List<EvalResult> Run(EvalRequest request, SlipModel model, RunConfig config, DataRoots roots, string? bpeVocabularyPath, Action<EvalProgress>? progress = null)
    {
        model.eval();
        var tasks = request.OrderedTasks.ToList();
        var tokenizer = model.HasText ? Tokenizers.Create(config, bpeVocabularyPath) : null;
        var index = 0;
        void Report(double fraction, string phase) => progress?.Invoke(new EvalProgress(index, tasks.Count, tasks[Math.Min(index, tasks.Count - 1)], fraction, phase));

        Report(0, "loading the evaluated split");
        var catalog = request.Catalog is { } key ? ZeroShotCatalog.Get(key) : null;
        var test = EvalSet.Load(request.Dataset, request.Test, train: false, config.Vision.ImageSize, request.Limit, roots, catalog);
        EvalSet? train = null;
        EvalSet TrainSet()
        {
            Report(0, "loading the training split");
            var source = request.Test?.Format == DatasetFormats.FashionMnist ? request.Test : request.Train;
            return train ??= EvalSet.Load(request.Dataset, source, train: true, config.Vision.ImageSize, request.TrainLimit, roots, catalog);
        }

        var results = new List<EvalResult>();
        foreach (var task in tasks)
        {
            Report(0, task);
            var metrics = task switch
            {
                EvalRequest.ZeroShotTask => ZeroShot.Evaluate(model, test, tokenizer!, config.Text.ContextLength, catalog?.Metric),
                EvalRequest.RetrievalTask => Retrieval.Evaluate(model, test, tokenizer!, config.Text.ContextLength),
                EvalRequest.LinearProbeTask => LinearProbe.Evaluate(model, TrainSet(), test, new LinearProbeOptions
                {
                    Protocol = request.ProbeProtocol,
                    Epochs = request.ProbeEpochs,
                    LearningRate = request.ProbeLearningRate,
                    BatchSize = request.ProbeBatchSize,
                    Seed = request.Seed,
                    OnEpoch = (done, all) => Report((double)done / all, $"linear probe epoch {done}/{all}"),
                }),
                _ => FineTune.Evaluate(model, config, TrainSet(), test, new FineTuneOptions
                {
                    Epochs = request.FineTuneEpochs,
                    LearningRate = request.FineTuneLearningRate,
                    BatchSize = request.FineTuneBatchSize,
                    Seed = request.Seed,
                    OnEpoch = (done, all) => Report((double)done / all, $"fine-tuning epoch {done}/{all}"),
                }),
            };
            var protocol = task == EvalRequest.LinearProbeTask ? EnumNames.Of(request.ProbeProtocol) : null;
            results.Add(new EvalResult(request.Dataset, config.ObjectiveLabel + " " + config.Model, Path.GetFullPath(request.Checkpoint), task, metrics, protocol));
            index++;
        }

        progress?.Invoke(new EvalProgress(tasks.Count, tasks.Count, tasks.LastOrDefault() ?? "", 0, "done"));
        return results;
    }
}
