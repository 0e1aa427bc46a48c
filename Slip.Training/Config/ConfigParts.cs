using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Training.Ssl;

namespace Slip.Training;

/// <summary>The ViT image tower's shape (<c>vision</c> in JSON).</summary>
public sealed record VisionConfig
{
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int Width { get; init; } = 128;
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
}

/// <summary>The CLIP text tower, its tokenizer and the joint embedding (<c>text</c> in JSON); unused by SimCLR.</summary>
public sealed record TextConfig
{
    public int Width { get; init; } = 128;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    /// <summary>Tokens per caption, start and end included: CLIP's 77 by default, for every preset.</summary>
    public int ContextLength { get; init; } = 77;
    public int VocabSize { get; init; } = ClipBpeTokenizer.VocabSize;

    /// <summary>"clip-bpe" (CLIP's BPE, 49,408 tokens, built in; the default) or "byte" (UTF-8 bytes, 259 tokens).</summary>
    public Tokenizer Tokenizer { get; init; } = Tokenizer.ClipBpe;

    /// <summary>What an over-long caption keeps: "open_clip" (end-of-text last, the default) or "reference" (the released SLIP code's cut).</summary>
    public Truncation Truncation { get; init; } = Truncation.OpenClip;

    /// <summary>Width of the joint image-text space both projections map into.</summary>
    public int EmbedDim { get; init; } = 128;
}

/// <summary>The optimisation recipe (<c>optim</c> in JSON): AdamW, warmup + cosine, batch and precision.</summary>
public sealed record OptimConfig
{
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;
    public double WeightDecay { get; init; } = 0.1;
    public double WarmupEpochs { get; init; } = 1;
    public double LearningRateStart { get; init; } = 1e-6;
    public double LearningRateEnd { get; init; } = 1e-5;

    /// <summary>Micro-batches per optimizer step (the reference's --update-freq): the effective batch is BatchSize x UpdateFreq.</summary>
    public int UpdateFreq { get; init; } = 1;

    /// <summary>fp32, or bf16: forward and backward in bfloat16 on fp32 master weights.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Clip the global gradient norm to this before each step; null (the reference's choice) clips nothing.</summary>
    public double? GradClipNorm { get; init; }
}

/// <summary>What the run reads (<c>data</c> in JSON).</summary>
public sealed record DataConfig
{
    /// <summary>A built-in dataset's name, or the registered name of <see cref="Source"/>.</summary>
    public string Dataset { get; init; } = "shapes";

    /// <summary>Where the images and captions are, when they are not a built-in dataset (webdataset shards, a CSV manifest, ...).</summary>
    public DatasetSource? Source { get; init; }

    /// <summary>Samples per epoch (open_clip's train_num_samples); null means one pass over the data, which must then have a known size.</summary>
    public long? EpochSamples { get; init; }
}

/// <summary>The image-image branch of SimCLR-only and SLIP runs (<c>ssl</c> in JSON).</summary>
public sealed record SslConfig
{
    /// <summary>simclr (the reference's), mocov3, byol or mim; naming it also brings that method's temperature and momentum defaults.</summary>
    public SslMethod Method { get; init; } = SslMethod.SimClr;

    /// <summary>SLIP's weight on the SSL loss: loss = clip_loss + scale x ssl_loss.</summary>
    public double Scale { get; init; } = 1.0;

    public double Temperature { get; init; } = 0.1;

    /// <summary>Base EMA momentum of the MoCo v3 / BYOL momentum network, raised to 1 along a half cosine over the run.</summary>
    public double Momentum { get; init; } = 0.99;

    /// <summary>Share of patches masked for MIM (BEiT masks 40 %).</summary>
    public double MaskRatio { get; init; } = 0.4;

    /// <summary>Hidden width of the SSL head's MLP.</summary>
    public int MlpDim { get; init; } = 512;

    /// <summary>Output width of the SSL head.</summary>
    public int EmbedDim { get; init; } = 64;
}

/// <summary>Evaluation during and after training (<c>eval</c> in JSON).</summary>
public sealed record EvalConfig
{
    /// <summary>
    /// Zero-shot classification every this many epochs, on the held-out split of a built-in dataset or Fashion-MNIST's
    /// test split (logged as zeroshot_acc1, zeroshot_acc5, zeroshot_mean_per_class_recall); 0 turns it off.
    /// </summary>
    public int ZeroShotEvery { get; init; } = 1;

    /// <summary>
    /// At the end of training, a linear probe (90 epochs on cached CLS features, at most 5 x samples training images)
    /// on the same held-out data as the zero-shot evaluation, logged as lp_acc1 / lp_acc5.
    /// </summary>
    public bool ProbeAtEnd { get; init; } = true;

    /// <summary>
    /// Evaluation tasks (<see cref="Evaluation.EvalRequest.AllTasks"/>, comma-separated) queued on the final checkpoint,
    /// on the run's own dataset, when a run launched from the dashboard succeeds; empty for none.
    /// </summary>
    public string TasksAtEnd { get; init; } = "";

    /// <summary>At most this many held-out samples for the in-training zero-shot evaluation.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>
    /// Also run the in-training zero-shot evaluation on the validation split (logged as val_zeroshot_acc1, ...), which
    /// sweeps select on: a built-in dataset's, or <see cref="Val"/>.
    /// </summary>
    public bool Validate { get; init; }

    /// <summary>
    /// The classification set (an image folder or Fashion-MNIST) the in-training zero-shot evaluation and the
    /// end-of-run probe test on, for training data without classes of its own (captions in shards or a CSV).
    /// </summary>
    public DatasetSource? Test { get; init; }

    /// <summary>The validation classification set for <see cref="Validate"/>, when the training data is not a built-in dataset.</summary>
    public DatasetSource? Val { get; init; }

    /// <summary><see cref="TasksAtEnd"/> as a list.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> TasksAtEndList => TasksAtEnd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Checkpoint retention (<c>checkpoints</c> in JSON); all empty keeps every checkpoint.</summary>
public sealed record CheckpointConfig
{
    /// <summary>Keep the latest this many.</summary>
    public int? KeepLast { get; init; }

    /// <summary>Also keep every this many epochs (epoch 5, 10, ...).</summary>
    public int? KeepEvery { get; init; }

    /// <summary>Also keep the checkpoint with the best value of this metric (for example zeroshot_acc1).</summary>
    public string? KeepBest { get; init; }
}
