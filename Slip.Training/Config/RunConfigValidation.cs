using System.Linq.Expressions;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Evaluation;
using Slip.Training.Ssl;

namespace Slip.Training;

public sealed partial record RunConfig
{
    /// <summary>
    /// Checks ranges and consistency. Returns one message per problem, keyed by its config key
    /// (<see cref="ConfigKeys"/>), so a form can show each next to its field. <paramref name="knownDatasets"/> lists
    /// the dataset names that may be chosen.
    /// </summary>
    public IReadOnlyList<ConfigError> Validate(IEnumerable<string>? knownDatasets = null)
    {
        var errors = new List<ConfigError>();
        void Check<T>(bool ok, Expression<Func<RunConfig, T>> key, string message)
        {
            if (!ok)
            {
                errors.Add(new ConfigError(ConfigKeys.Of(key), message));
            }
        }

        var (v, t, o, s) = (Vision, Text, Optim, Ssl);
        Check(o.Epochs is >= 1 and <= 10_000, c => c.Optim.Epochs, "Epochs must be between 1 and 10000.");
        Check(o.BatchSize is >= 2 and <= 65_536, c => c.Optim.BatchSize, "Batch size must be between 2 and 65536 (contrastive losses need at least two samples).");
        Check(o.LearningRate is > 0 and <= 1, c => c.Optim.LearningRate, "Learning rate must be greater than 0 and at most 1.");
        Check(o.WeightDecay is >= 0 and <= 10, c => c.Optim.WeightDecay, "Weight decay must be between 0 and 10.");
        Check(o.WarmupEpochs >= 0, c => c.Optim.WarmupEpochs, "Warmup epochs cannot be negative.");
        Check(o.UpdateFreq is >= 1 and <= 1024, c => c.Optim.UpdateFreq, "Gradient accumulation (micro-batches per step) must be between 1 and 1024.");
        Check(Enum.IsDefined(o.Precision), c => c.Optim.Precision, $"Unknown precision. Known: {string.Join(", ", EnumNames.All<Precision>())}.");
        Check(o.GradClipNorm is null or > 0, c => c.Optim.GradClipNorm, "The gradient clipping norm must be positive (or left empty for no clipping).");
        Check(s.Scale is >= 0 and <= 100, c => c.Ssl.Scale, "SSL loss scale must be between 0 and 100.");
        Check(s.Temperature > 0, c => c.Ssl.Temperature, "SSL temperature must be positive.");
        Check(Enum.IsDefined(s.Method), c => c.Ssl.Method, $"Unknown SSL method. Known: {string.Join(", ", EnumNames.All<SslMethod>())}.");
        Check(Spec.HasSsl || s.Method == SslMethod.SimClr, c => c.Ssl.Method, "CLIP has no image-image branch; choose SimCLR or SLIP to use an SSL method.");
        Check(s.Momentum is >= 0 and < 1, c => c.Ssl.Momentum, "The EMA momentum must be at least 0 and below 1.");
        Check(s.MaskRatio is > 0 and < 1, c => c.Ssl.MaskRatio, "The mask ratio must be between 0 and 1 (exclusive).");
        Check(s.MlpDim >= 1 && s.EmbedDim >= 1, c => c.Ssl.MlpDim, "SSL head sizes must be positive.");
        Check(Seed >= 0, c => c.Seed, "Seed cannot be negative.");
        Check(LogEvery >= 1, c => c.LogEvery, "Log interval must be at least 1 step.");
        Check(v.ImageSize is >= 8 and <= 1024, c => c.Vision.ImageSize, "Image size must be between 8 and 1024 pixels.");
        Check(v.PatchSize >= 1 && v.ImageSize % Math.Max(v.PatchSize, 1) == 0, c => c.Vision.PatchSize, $"Image size {v.ImageSize} is not divisible by patch size {v.PatchSize}.");
        Check(v.Width >= 8 && v.Heads >= 1 && v.Width % Math.Max(v.Heads, 1) == 0, c => c.Vision.Heads, $"Vision width {v.Width} is not divisible by {v.Heads} heads.");
        Check(v.Depth >= 1, c => c.Vision.Depth, "Vision depth must be at least 1.");
        Check(t.Width >= 8 && t.Heads >= 1 && t.Width % Math.Max(t.Heads, 1) == 0, c => c.Text.Heads, $"Text width {t.Width} is not divisible by {t.Heads} heads.");
        Check(t.Layers >= 1, c => c.Text.Layers, "Text layers must be at least 1.");
        Check(t.ContextLength is >= 4 and <= 512, c => c.Text.ContextLength, "Context length must be between 4 and 512 tokens.");
        Check(Enum.IsDefined(t.Tokenizer), c => c.Text.Tokenizer, $"Unknown tokenizer. Known: {string.Join(", ", EnumNames.All<Tokenizer>())}.");
        Check(t.Tokenizer != Tokenizer.ClipBpe || t.VocabSize == ClipBpeTokenizer.VocabSize, c => c.Text.VocabSize,
            $"CLIP's BPE tokenizer has {ClipBpeTokenizer.VocabSize} tokens; the vocabulary size is {t.VocabSize}.");
        Check(t.VocabSize >= ByteTokenizer.VocabSize, c => c.Text.VocabSize, $"Vocabulary must hold at least {ByteTokenizer.VocabSize} tokens.");
        Check(t.EmbedDim >= 1, c => c.Text.EmbedDim, "The joint embedding size must be positive.");
        Check(Eval.ZeroShotEvery >= 0, c => c.Eval.ZeroShotEvery, "Zero-shot evaluation interval cannot be negative (0 turns it off).");
        Check(Eval.Samples >= 1, c => c.Eval.Samples, "Evaluation needs at least one sample.");
        Check(!Eval.Validate || Data.Source is null || Eval.Val is not null, c => c.Eval.Validate, $"'{Data.Dataset}' has no validation split of its own (only the built-in datasets have one): give eval.val, a classification set to validate on, or turn eval.validate off.");
        foreach (var (set, key) in new[] { (Eval.Test, ConfigKeys.Of(c => c.Eval.Test)), (Eval.Val, ConfigKeys.Of(c => c.Eval.Val)) })
        {
            if (set is not null && (set.Format is not (DatasetFormats.ImageFolder or DatasetFormats.FashionMnist) || string.IsNullOrWhiteSpace(set.Path)))
            {
                errors.Add(new ConfigError(key, $"{key} must be a classification set with a path: an image folder (one folder per class) or Fashion-MNIST, not '{set.Format}'."));
            }
        }
        Check(Checkpoints.KeepLast is null or >= 1, c => c.Checkpoints.KeepLast, "Keep at least 1 checkpoint (or leave it empty to keep all).");
        Check(Checkpoints.KeepEvery is null or >= 1, c => c.Checkpoints.KeepEvery, "Keep every N-th checkpoint needs N of at least 1 (or leave it empty for none).");
        Check(Eval.TasksAtEndList.All(EvalRequest.AllTasks.Contains), c => c.Eval.TasksAtEnd,
            $"Unknown evaluation task in '{Eval.TasksAtEnd}'. Known: {string.Join(", ", EvalRequest.AllTasks)}.");
        Check(Spec.HasText || !Eval.TasksAtEndList.Any(task => task is EvalRequest.ZeroShotTask or EvalRequest.RetrievalTask), c => c.Eval.TasksAtEnd,
            "An image-only model has no text tower: zero-shot classification and retrieval cannot be evaluated at the end.");
        Check(Data.EpochSamples is null or > 0, c => c.Data.EpochSamples, "Samples per epoch must be positive (or left empty for one pass over the data).");
        Check(Data.Source is null || DatasetFormats.Names.Contains(Data.Source.Format), c => c.Data.Source, $"Unknown dataset format '{Data.Source?.Format}'. Known: {string.Join(", ", DatasetFormats.Names)}.");
        Check(Data.Source is null || !string.IsNullOrWhiteSpace(Data.Source.Path), c => c.Data.Source, "The dataset needs a path.");
        if (knownDatasets is not null && Data.Source is null)
        {
            var names = knownDatasets.ToList();
            Check(names.Contains(Data.Dataset), c => c.Data.Dataset, $"Unknown dataset '{Data.Dataset}'. Known datasets: {string.Join(", ", names)}.");
        }

        return errors;
    }
}
