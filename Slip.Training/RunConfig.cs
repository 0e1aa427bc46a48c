using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Ssl;

namespace Slip.Training;

/// <summary>Which objective a run trains: CLIP (image-text), SimCLR (image-image) or SLIP (both, summed).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Objective>))]
public enum Objective
{
    Clip,
    SimClr,
    Slip,
}

/// <summary>
/// What a run trains: model shape, objective, data and recipe. Immutable, validated before launch,
/// stored as JSON with the run and beside every checkpoint.
/// </summary>
public sealed record RunConfig
{
    public Objective Objective { get; init; } = Objective.Slip;

    /// <summary>Name of the model preset the shape came from (Tiny, Small, ViT-S/16, ...); informational once expanded.</summary>
    public string Model { get; init; } = "Tiny";

    /// <summary>A built-in dataset's name, or the registered name of <see cref="Data"/>.</summary>
    public string Dataset { get; init; } = "shapes";

    /// <summary>Where the images and captions are, when they are not a built-in dataset (webdataset shards, a CSV manifest, ...).</summary>
    public DatasetSource? Data { get; init; }

    /// <summary>
    /// Zero-shot classification every this many epochs, on the held-out split of a built-in dataset or Fashion-MNIST's
    /// test split (logged as zeroshot_acc1, zeroshot_acc5, zeroshot_mean_per_class_recall); 0 turns it off.
    /// </summary>
    public int ZeroShotEvery { get; init; } = 1;

    /// <summary>
    /// At the end of training, a linear probe (90 epochs on cached CLS features, at most 5 x evalSamples training
    /// images) on the same held-out data as the zero-shot evaluation, logged as lp_acc1 / lp_acc5.
    /// </summary>
    public bool ProbeAtEnd { get; init; } = true;

    /// <summary>
    /// Evaluation tasks (<see cref="Evaluation.EvalRequest.AllTasks"/>, comma-separated) queued on the final checkpoint,
    /// on the run's own dataset, when a run launched from the dashboard succeeds; empty for none.
    /// </summary>
    public string EvaluateAtEnd { get; init; } = "";

    /// <summary>Checkpoint retention: keep the latest this many (null: keep every checkpoint).</summary>
    public int? KeepLastCheckpoints { get; init; }

    /// <summary>Checkpoint retention: also keep every this many epochs (epoch 5, 10, ...).</summary>
    public int? KeepEveryCheckpoints { get; init; }

    /// <summary>Checkpoint retention: also keep the checkpoint with the best value of this metric (for example zeroshot_acc1).</summary>
    public string? KeepBestCheckpoint { get; init; }

    /// <summary><see cref="EvaluateAtEnd"/> as a list.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> EvaluateAtEndTasks => EvaluateAtEnd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>At most this many held-out samples for the in-training zero-shot evaluation.</summary>
    public int EvalSamples { get; init; } = 1000;

    /// <summary>Samples per epoch (open_clip's train_num_samples); null means one pass over the data, which must then have a known size.</summary>
    public long? EpochSamples { get; init; }

    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;
    public double WeightDecay { get; init; } = 0.1;
    public double WarmupEpochs { get; init; } = 1;
    public double LearningRateStart { get; init; } = 1e-6;
    public double LearningRateEnd { get; init; } = 1e-5;
    public double SslScale { get; init; } = 1.0;
    public double SslTemperature { get; init; } = 0.1;

    /// <summary>
    /// The image-image branch of SimCLR-only and SLIP runs: "simclr" (the reference's), "mocov3", "byol" or "mim"
    /// (<see cref="SslMethods"/>). Giving it in JSON also brings that method's temperature and momentum defaults.
    /// </summary>
    public string SslMethod { get; init; } = SslMethods.SimClr;

    /// <summary>Base EMA momentum of the MoCo v3 / BYOL momentum network, raised to 1 along a half cosine over the run.</summary>
    public double SslMomentum { get; init; } = 0.99;

    /// <summary>Share of patches masked for MIM (BEiT masks 40 %).</summary>
    public double MaskRatio { get; init; } = 0.4;
    public int Seed { get; init; }
    public int LogEvery { get; init; } = 2;

    /// <summary>Micro-batches per optimizer step (the reference's --update-freq): the effective batch is BatchSize x UpdateFreq.</summary>
    public int UpdateFreq { get; init; } = 1;

    /// <summary>"fp32", or "bf16": forward and backward in bfloat16 on fp32 master weights (for GPUs and CPUs with bf16 units; slower on the development CPU, see docs/benchmarks.md).</summary>
    public string Precision { get; init; } = MixedPrecision.Fp32;

    /// <summary>Clip the global gradient norm to this before each step; null (the reference's choice) clips nothing.</summary>
    public double? GradClipNorm { get; init; }

    // Vision tower.
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int VisionWidth { get; init; } = 128;
    public int VisionDepth { get; init; } = 4;
    public int VisionHeads { get; init; } = 4;

    // Text tower.
    public int TextWidth { get; init; } = 128;
    public int TextLayers { get; init; } = 4;
    public int TextHeads { get; init; } = 4;
    public int ContextLength { get; init; } = 32;
    public int VocabSize { get; init; } = ByteTokenizer.VocabSize;

    /// <summary>"byte" (built in) or "clip-bpe" (CLIP's BPE, 49,408 tokens, from a configured vocabulary file).</summary>
    public string Tokenizer { get; init; } = Tokenizers.Byte;

    // Joint embedding and SimCLR head.
    public int EmbedDim { get; init; } = 128;
    public int SslMlpDim { get; init; } = 512;
    public int SslEmbedDim { get; init; } = 64;

    /// <summary>
    /// The model presets a user can pick: Micro (a smoke test that trains in seconds), Tiny and Small for CPUs, and the
    /// reference's towers.
    /// </summary>
    public static IReadOnlyList<string> ModelPresets { get; } = ["Micro", "Tiny", "Small", "ViT-Ti/16", "ViT-S/16", "ViT-B/16", "ViT-L/16"];

    /// <summary>Returns this config with the model shape replaced by the named preset's.</summary>
    public RunConfig WithModelPreset(string preset) => preset switch
    {
        // CPU presets: one width for both towers, the byte tokenizer's vocabulary.
        "Micro" => Cpu(preset, image: 16, patch: 4, width: 32, depth: 2, heads: 2, textLayers: 2, context: 16, embed: 32, mlp: 64, sslEmbed: 16),
        "Tiny" => Cpu(preset, image: 32, patch: 4, width: 128, depth: 4, heads: 4, textLayers: 4, context: 32, embed: 128, mlp: 512, sslEmbed: 64),
        "Small" => Cpu(preset, image: 64, patch: 8, width: 192, depth: 6, heads: 3, textLayers: 4, context: 48, embed: 256, mlp: 1024, sslEmbed: 128),
        "ViT-Ti/16" => Reference(preset, width: 192, depth: 12, heads: 3),
        "ViT-S/16" => Reference(preset, width: 384, depth: 12, heads: 12),
        "ViT-B/16" => Reference(preset, width: 768, depth: 12, heads: 12),
        "ViT-L/16" => Reference(preset, width: 1024, depth: 24, heads: 16),
        _ => throw new ArgumentException($"Unknown model preset '{preset}'. Known presets: {string.Join(", ", ModelPresets)}.", nameof(preset)),
    };

    private RunConfig Cpu(string preset, int image, int patch, int width, int depth, int heads, int textLayers, int context, int embed, int mlp, int sslEmbed) => this with
    {
        Model = preset,
        ImageSize = image,
        PatchSize = patch,
        VisionWidth = width,
        VisionDepth = depth,
        VisionHeads = heads,
        TextWidth = width,
        TextLayers = textLayers,
        TextHeads = heads,
        ContextLength = context,
        VocabSize = ByteTokenizer.VocabSize,
        EmbedDim = embed,
        SslMlpDim = mlp,
        SslEmbedDim = sslEmbed,
    };

    private RunConfig Reference(string preset, int width, int depth, int heads) => this with
    {
        Model = preset,
        ImageSize = 224,
        PatchSize = 16,
        VisionWidth = width,
        VisionDepth = depth,
        VisionHeads = heads,
        TextWidth = 512,
        TextLayers = 12,
        TextHeads = 8,
        ContextLength = 77,
        VocabSize = 49408,
        EmbedDim = 512,
        SslMlpDim = 4096,
        SslEmbedDim = 256,
    };

    /// <summary>What a user calls this run's objective: "CLIP", "SimCLR", "SLIP", "MoCo v3", "SLIP (BYOL)", ...</summary>
    [JsonIgnore]
    public string ObjectiveLabel => (Objective, SslMethod) switch
    {
        (Objective.Clip, _) => "CLIP",
        (Objective.SimClr, _) => SslMethods.Label(SslMethod),
        (_, SslMethods.SimClr) => "SLIP",
        _ => $"SLIP ({SslMethods.Label(SslMethod)})",
    };

    /// <summary>The reference's default peak learning rate and weight decay for an objective (slip-reference 5.1).</summary>
    public static (double LearningRate, double WeightDecay) RecipeDefaults(Objective objective) => objective switch
    {
        Objective.Clip => (5e-4, 0.5),
        Objective.SimClr => (3.2e-3, 0.1),
        _ => (3e-3, 0.1),
    };

    /// <summary>
    /// Checks ranges and consistency. Returns one message per problem, keyed by the property name, so a form can
    /// show each next to its field. <paramref name="knownDatasets"/> lists the dataset names that may be chosen.
    /// </summary>
    public IReadOnlyList<ConfigError> Validate(IEnumerable<string>? knownDatasets = null)
    {
        var errors = new List<ConfigError>();
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                errors.Add(new ConfigError(field, message));
            }
        }

        Check(Epochs >= 1 && Epochs <= 10_000, nameof(Epochs), "Epochs must be between 1 and 10000.");
        Check(BatchSize >= 2 && BatchSize <= 65_536, nameof(BatchSize), "Batch size must be between 2 and 65536 (contrastive losses need at least two samples).");
        Check(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), "Learning rate must be greater than 0 and at most 1.");
        Check(WeightDecay >= 0 && WeightDecay <= 10, nameof(WeightDecay), "Weight decay must be between 0 and 10.");
        Check(WarmupEpochs >= 0, nameof(WarmupEpochs), "Warmup epochs cannot be negative.");
        Check(SslScale >= 0 && SslScale <= 100, nameof(SslScale), "SSL loss scale must be between 0 and 100.");
        Check(SslTemperature > 0, nameof(SslTemperature), "SSL temperature must be positive.");
        Check(SslMethods.Names.Contains(SslMethod), nameof(SslMethod), $"Unknown SSL method '{SslMethod}'. Known: {string.Join(", ", SslMethods.Names)}.");
        Check(Objective != Objective.Clip || SslMethod == SslMethods.SimClr, nameof(SslMethod), "CLIP has no image-image branch; choose SimCLR or SLIP to use an SSL method.");
        Check(SslMomentum is >= 0 and < 1, nameof(SslMomentum), "The EMA momentum must be at least 0 and below 1.");
        Check(MaskRatio is > 0 and < 1, nameof(MaskRatio), "The mask ratio must be between 0 and 1 (exclusive).");
        Check(Seed >= 0, nameof(Seed), "Seed cannot be negative.");
        Check(LogEvery >= 1, nameof(LogEvery), "Log interval must be at least 1 step.");
        Check(UpdateFreq is >= 1 and <= 1024, nameof(UpdateFreq), "Gradient accumulation (micro-batches per step) must be between 1 and 1024.");
        Check(MixedPrecision.Names.Contains(Precision), nameof(Precision), $"Unknown precision '{Precision}'. Known: {string.Join(", ", MixedPrecision.Names)}.");
        Check(GradClipNorm is null or > 0, nameof(GradClipNorm), "The gradient clipping norm must be positive (or left empty for no clipping).");
        Check(ImageSize >= 8 && ImageSize <= 1024, nameof(ImageSize), "Image size must be between 8 and 1024 pixels.");
        Check(PatchSize >= 1 && ImageSize % Math.Max(PatchSize, 1) == 0, nameof(PatchSize), $"Image size {ImageSize} is not divisible by patch size {PatchSize}.");
        Check(VisionWidth >= 8 && VisionHeads >= 1 && VisionWidth % Math.Max(VisionHeads, 1) == 0, nameof(VisionHeads), $"Vision width {VisionWidth} is not divisible by {VisionHeads} heads.");
        Check(VisionDepth >= 1, nameof(VisionDepth), "Vision depth must be at least 1.");
        Check(TextWidth >= 8 && TextHeads >= 1 && TextWidth % Math.Max(TextHeads, 1) == 0, nameof(TextHeads), $"Text width {TextWidth} is not divisible by {TextHeads} heads.");
        Check(TextLayers >= 1, nameof(TextLayers), "Text layers must be at least 1.");
        Check(ContextLength >= 4 && ContextLength <= 512, nameof(ContextLength), "Context length must be between 4 and 512 tokens.");
        Check(Tokenizers.Names.Contains(Tokenizer), nameof(Tokenizer), $"Unknown tokenizer '{Tokenizer}'. Known: {string.Join(", ", Tokenizers.Names)}.");
        Check(Tokenizer != Tokenizers.ClipBpe || VocabSize == ClipBpeTokenizer.VocabSize, nameof(VocabSize),
            $"CLIP's BPE tokenizer has {ClipBpeTokenizer.VocabSize} tokens; the vocabulary size is {VocabSize}.");
        Check(VocabSize >= ByteTokenizer.VocabSize, nameof(VocabSize), $"Vocabulary must hold at least {ByteTokenizer.VocabSize} tokens.");
        Check(EmbedDim >= 1 && SslMlpDim >= 1 && SslEmbedDim >= 1, nameof(EmbedDim), "Embedding and head sizes must be positive.");
        Check(ZeroShotEvery >= 0, nameof(ZeroShotEvery), "Zero-shot evaluation interval cannot be negative (0 turns it off).");
        Check(EvalSamples >= 1, nameof(EvalSamples), "Evaluation needs at least one sample.");
        Check(KeepLastCheckpoints is null or >= 1 && KeepEveryCheckpoints is null or >= 1, nameof(KeepLastCheckpoints), "Checkpoint retention counts must be at least 1 (or left empty to keep all).");
        Check(EvaluateAtEndTasks.All(Evaluation.EvalRequest.AllTasks.Contains), nameof(EvaluateAtEnd),
            $"Unknown evaluation task in '{EvaluateAtEnd}'. Known: {string.Join(", ", Evaluation.EvalRequest.AllTasks)}.");
        Check(Objective != Objective.SimClr || !EvaluateAtEndTasks.Any(t => t is Evaluation.EvalRequest.ZeroShotTask or Evaluation.EvalRequest.RetrievalTask), nameof(EvaluateAtEnd),
            "A SimCLR model has no text tower: zero-shot classification and retrieval cannot be evaluated at the end.");
        Check(EpochSamples is null or > 0, nameof(EpochSamples), "Samples per epoch must be positive (or left empty for one pass over the data).");
        Check(Data is null || DatasetFormats.Names.Contains(Data.Format), nameof(Data), $"Unknown dataset format '{Data?.Format}'. Known: {string.Join(", ", DatasetFormats.Names)}.");
        Check(Data is null || !string.IsNullOrWhiteSpace(Data.Path), nameof(Data), "The dataset needs a path.");
        if (knownDatasets is not null && Data is null)
        {
            var names = knownDatasets.ToList();
            Check(names.Contains(Dataset), nameof(Dataset), $"Unknown dataset '{Dataset}'. Known datasets: {string.Join(", ", names)}.");
        }

        return errors;
    }

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// Parses a config. Fields it leaves out keep their defaults, and the shape fields come from its <c>model</c>
    /// preset when it names one (<c>{"model": "ViT-B/16"}</c> is a whole ViT-B/16). Throws
    /// <see cref="FormatException"/> with the reason when the text is not a valid config.
    /// </summary>
    public static RunConfig FromJson(string json)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject given)
            {
                throw new FormatException("The run config must be a JSON object.");
            }

            var preset = given.FirstOrDefault(kv => kv.Key.Equals(nameof(Model), StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();
            var baseline = preset is null ? new RunConfig() : new RunConfig().WithModelPreset(preset);
            var method = given.FirstOrDefault(kv => kv.Key.Equals(nameof(SslMethod), StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();
            baseline = method is null ? baseline : SslMethods.WithDefaults(baseline, method);
            var merged = JsonSerializer.SerializeToNode(baseline, JsonOptions)!.AsObject();
            foreach (var (key, value) in given)
            {
                var existing = merged.FirstOrDefault(kv => kv.Key.Equals(key, StringComparison.OrdinalIgnoreCase)).Key ?? key;
                merged[existing] = value?.DeepClone();
            }

            return merged.Deserialize<RunConfig>(JsonOptions) ?? throw new FormatException("The run config is empty.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The run config is not valid JSON: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"The run config has a value of the wrong type: {ex.Message}", ex);
        }
    }
}

/// <summary>One validation problem: the config property it concerns and a message for the user.</summary>
public sealed record ConfigError(string Field, string Message);
