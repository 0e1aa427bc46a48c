using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Evaluation;

/// <summary>
/// One evaluation of a checkpoint: which protocols, on which dataset's splits, with which recipe settings. The CLI's
/// <c>eval</c> verb and the dashboard's evaluation jobs both run one; <see cref="Check"/> refuses a bad one before any
/// work is done.
/// </summary>
public sealed record EvalRequest
{
    public const string ZeroShotTask = "zeroshot_classification";
    public const string LinearProbeTask = "linear_probe";
    public const string FineTuneTask = "finetune";
    public const string RetrievalTask = "zeroshot_retrieval";

    /// <summary>The protocols, in clip_benchmark's task names (plus <c>finetune</c>), in the order they run.</summary>
    public static IReadOnlyList<string> AllTasks { get; } = [ZeroShotTask, LinearProbeTask, FineTuneTask, RetrievalTask];

    public string Checkpoint { get; init; } = "";

    /// <summary>The dataset's name in the results: a built-in dataset's name when <see cref="Test"/> is null.</summary>
    public string Dataset { get; init; } = "shapes";

    /// <summary>The evaluated split of a non-built-in dataset (for Fashion-MNIST, its test split is read whatever <c>Split</c> says).</summary>
    public DatasetSource? Test { get; init; }

    /// <summary>The split probes and fine-tuning train on, for image folders (Fashion-MNIST and built-ins bring their own).</summary>
    public DatasetSource? Train { get; init; }

    public IReadOnlyList<string> Tasks { get; init; } = [ZeroShotTask, LinearProbeTask, RetrievalTask];

    /// <summary>At most this many evaluated samples (spread evenly over a classification set, so every class is in; the first of a streamed caption set); null means all (1,000 for streamed caption sets).</summary>
    public int? Limit { get; init; }

    /// <summary>At most this many training samples for the probe and fine-tuning.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>The input resolution; null means the checkpoint's. Any other value is refused (position embeddings are not interpolated).</summary>
    public int? ImageSize { get; init; }

    public int ProbeEpochs { get; init; } = 90;

    public double? ProbeLearningRate { get; init; }

    /// <summary>The linear probe's protocol: the reference's (the default) or Slip's faster cached-features probe.</summary>
    public ProbeProtocol ProbeProtocol { get; init; } = ProbeProtocol.Reference;

    /// <summary>The linear probe's batch; null means the protocol's (1024 or 256).</summary>
    public int? ProbeBatchSize { get; init; }

    public int FineTuneEpochs { get; init; } = 100;

    public double? FineTuneLearningRate { get; init; }

    public int FineTuneBatchSize { get; init; } = 64;

    public int Seed { get; init; }

    /// <summary>Attention heads of the image tower, for a checkpoint that cannot tell (see <see cref="HeadCounts"/>).</summary>
    public int? VisionHeads { get; init; }

    /// <summary>Attention heads of the text tower, likewise.</summary>
    public int? TextHeads { get; init; }

    /// <summary>How prompts and captions over the context are cut; null means the checkpoint's run's rule (reference for a release file).</summary>
    public Truncation? Truncation { get; init; }

    /// <summary>
    /// A dataset of the reference's zero-shot catalog (<see cref="ZeroShotCatalog.Keys"/>, e.g. imagenet) whose class
    /// names and templates an image folder's classes take, instead of its folder names or classes.json.
    /// </summary>
    public string? Catalog { get; init; }

    /// <summary>The head counts this request gives.</summary>
    public HeadCounts Heads => new(VisionHeads, TextHeads);

    /// <summary>Tasks in the order they run.</summary>
    public IEnumerable<string> OrderedTasks => AllTasks.Where(Tasks.Contains);

    public bool IsBuiltIn => Test is null;

    /// <summary>Samples read from a streamed caption set when no limit is given.</summary>
    public const int DefaultStreamLimit = 1000;

    /// <summary>
    /// Everything wrong with this request for a model configured as <paramref name="model"/>, each on its field
    /// (Tasks, Checkpoint, ImageSize, Dataset, TrainDataset, Limit, ProbeEpochs, FineTuneEpochs): an empty list means
    /// it can run. Opens the datasets (within <paramref name="roots"/>) and decodes their first samples; reads no weights.
    /// </summary>
    public IReadOnlyList<ConfigError> Check(RunConfig model, DataRoots roots)
    {
        var errors = new List<ConfigError>();
        void Add(string field, string message) => errors.Add(new ConfigError(field, message));
        if (Tasks.Count == 0)
        {
            Add(nameof(Tasks), "Choose at least one task.");
        }
        else if (Tasks.FirstOrDefault(t => !AllTasks.Contains(t)) is { } unknown)
        {
            Add(nameof(Tasks), $"Unknown task '{unknown}'. Known: {string.Join(", ", AllTasks)}.");
        }

        var needsText = Tasks.Contains(ZeroShotTask) || Tasks.Contains(RetrievalTask);
        if (needsText && !model.Spec.HasText)
        {
            Add(nameof(Tasks), "This checkpoint is an image-only (SSL) model: it has no text tower for zero-shot classification or retrieval. Choose the linear probe or fine-tuning.");
        }

        if (string.IsNullOrWhiteSpace(Checkpoint) || !File.Exists(Checkpoint))
        {
            Add(nameof(Checkpoint), $"The checkpoint file '{Checkpoint}' does not exist (was it deleted?).");
        }

        if (ImageSize is { } size && size != model.Vision.ImageSize)
        {
            Add(nameof(ImageSize), $"This checkpoint's ViT takes {model.Vision.ImageSize} px images ({model.Vision.ImageSize / model.Vision.PatchSize}x{model.Vision.ImageSize / model.Vision.PatchSize} patches of {model.Vision.PatchSize} px); evaluating at {size} px would need its position embeddings interpolated, which Slip does not do. Use {model.Vision.ImageSize} px.");
        }

        if (Catalog is { } catalog && !ZeroShotCatalog.Keys.Contains(catalog))
        {
            Add(nameof(Catalog), $"The zero-shot catalog has no dataset '{catalog}'. It has: {string.Join(", ", ZeroShotCatalog.Keys)}.");
        }
        else if (Catalog is not null && (Test?.Format ?? "") != DatasetFormats.ImageFolder)
        {
            Add(nameof(Catalog), "A zero-shot catalog names the classes of an image folder: use it with --format imagefolder --path <folder>.");
        }

        if (Limit is <= 1 || TrainLimit is <= 1)
        {
            Add(nameof(Limit), "Sample limits must be at least 2.");
        }

        if (ProbeEpochs is < 1 or > 1000)
        {
            Add(nameof(ProbeEpochs), "Linear-probe epochs must be between 1 and 1000.");
        }

        if (ProbeBatchSize is < 1 or > 65536)
        {
            Add(nameof(ProbeBatchSize), "The linear probe's batch must be between 1 and 65536.");
        }

        if (FineTuneEpochs is < 1 or > 1000 || FineTuneBatchSize is < 2 or > 4096)
        {
            Add(nameof(FineTuneEpochs), "Fine-tuning needs 1 to 1000 epochs and a batch of 2 to 4096.");
        }

        if (errors.Count == 0)
        {
            CheckDatasets(errors, roots);
        }

        return errors;
    }

    private void CheckDatasets(List<ConfigError> errors, DataRoots roots)
    {
        var classified = Tasks.Any(t => t is ZeroShotTask or LinearProbeTask or FineTuneTask);
        var trains = Tasks.Any(t => t is LinearProbeTask or FineTuneTask);
        if (Test is null)
        {
            if (!DatasetCatalog.Names.Contains(Dataset))
            {
                errors.Add(new ConfigError(nameof(Dataset), $"Unknown dataset '{Dataset}'. Built-in: {string.Join(", ", DatasetCatalog.Names)}; or give a dataset's format and path."));
            }

            return;
        }

        int[]? testClasses;
        try
        {
            testClasses = ClassesOf(Test, roots);
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            errors.Add(new ConfigError(nameof(Dataset), ex.Message));
            return;
        }

        if (classified && testClasses is null)
        {
            errors.Add(new ConfigError(nameof(Dataset), $"'{Dataset}' has captions but no classes ({Test.Format}); zero-shot classification, the linear probe and fine-tuning need a classification set (Fashion-MNIST or an image folder). Retrieval works on it."));
        }

        if (Tasks.Contains(RetrievalTask) && testClasses is not null)
        {
            errors.Add(new ConfigError(nameof(Tasks), $"'{Dataset}' has class labels, not captions; retrieval needs an image-caption set (webdataset or CSV) or a built-in dataset."));
        }

        if (!trains || Test.Format == DatasetFormats.FashionMnist || testClasses is null)
        {
            return;
        }

        if (Train is null)
        {
            errors.Add(new ConfigError("TrainDataset", $"The linear probe and fine-tuning train on a separate split: choose the training image folder for '{Dataset}'."));
            return;
        }

        try
        {
            if (ClassesOf(Train, roots) is not { } trainClasses)
            {
                errors.Add(new ConfigError("TrainDataset", "The training split must be an image folder with one folder per class."));
            }
            else if (Catalog is null && trainClasses.Length != testClasses.Length)
            {
                errors.Add(new ConfigError("TrainDataset", $"The training split has {trainClasses.Length} classes but '{Dataset}' has {testClasses.Length}; they must name the same classes."));
            }
            else if (Catalog is not null && testClasses.Except(trainClasses).ToList() is { Count: > 0 } missing)
            {
                // With a catalog both splits are labelled among its classes: the training split may hold more (all of ImageNet train for a slice of val).
                var names = ZeroShotCatalog.Get(Catalog).Classes;
                errors.Add(new ConfigError("TrainDataset", $"The training split has no images of {missing.Count} of the evaluated classes ({string.Join(", ", missing.Take(3).Select(i => names[i][0]))}{(missing.Count > 3 ? ", ..." : "")})."));
            }
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            errors.Add(new ConfigError("TrainDataset", ex.Message));
        }
    }

    /// <summary>
    /// Probes a source (roots, format, first samples decode) and returns the classes its samples are labelled with
    /// (a catalog's, for an image folder evaluated with one: its folders must map onto the catalog), or null for caption sets.
    /// </summary>
    private int[]? ClassesOf(DatasetSource source, DataRoots roots)
    {
        DatasetProbe.Inspect(source, roots, previewCount: 2, countShards: false);
        return source.Format switch
        {
            DatasetFormats.FashionMnist => [.. Enumerable.Range(0, FashionMnistSource.ClassNames.Count)],
            DatasetFormats.ImageFolder when SampleSources.Open(source, roots) is ImageFolderSource folder => Catalog is not null && ZeroShotCatalog.Keys.Contains(Catalog)
                ? ZeroShotCatalog.Get(Catalog).ClassOfFolders(folder.ClassFolders, source.Path)
                : [.. Enumerable.Range(0, folder.Captions.ClassNames.Count)],
            _ => null,
        };
    }
}
