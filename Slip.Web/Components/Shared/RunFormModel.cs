using Slip.Training;
using Slip.Training.Ssl;

namespace Slip.Web.Components.Shared;

/// <summary>The editable state of the New Run form; <see cref="ToConfig"/> turns it into the immutable run config.</summary>
public sealed class RunFormModel
{
    public string? Name { get; set; }
    public Objective Objective { get; set; } = Objective.Slip;
    public string Model { get; set; } = "Tiny";
    public string Dataset { get; set; } = "shapes";
    public int Epochs { get; set; } = 2;
    public int BatchSize { get; set; } = 64;
    public double LearningRate { get; set; } = 3e-3;
    public double WeightDecay { get; set; } = 0.1;
    public double SslScale { get; set; } = 1.0;
    public string SslMethod { get; set; } = SslMethods.SimClr;
    public double SslTemperature { get; set; } = 0.1;
    public double SslMomentum { get; set; } = 0.99;
    public double MaskRatio { get; set; } = 0.4;
    public int Seed { get; set; }
    public int ImageSize { get; set; }
    public int PatchSize { get; set; }
    public int VisionWidth { get; set; }
    public int VisionDepth { get; set; }
    public int VisionHeads { get; set; }
    public int UpdateFreq { get; set; } = 1;

    /// <summary>Zero-shot evaluation every N epochs on the held-out split; 0 turns it off.</summary>
    public int ZeroShotEvery { get; set; } = 1;

    /// <summary>Evaluation tasks queued on the final checkpoint when the run succeeds.</summary>
    public IReadOnlyList<string> EvaluateAtEnd { get; set; } = [];

    /// <summary>Checkpoint retention: keep the latest this many; 0 keeps every checkpoint.</summary>
    public int KeepLastCheckpoints { get; set; }

    /// <summary>Checkpoint retention: also keep every this many epochs; 0 for none.</summary>
    public int KeepEveryCheckpoints { get; set; }

    /// <summary>0 means no clipping (the reference's choice).</summary>
    public double GradClipNorm { get; set; }

    public string Precision { get; set; } = MixedPrecision.Fp32;
    public string Tokenizer { get; set; } = Slip.Training.Datasets.Tokenizers.Byte;

    public RunFormModel() => ApplyPreset("Tiny");

    /// <summary>
    /// The config the form edits: a fresh one, or a cloned run's, whose fields the form does not show (the dataset
    /// source, evaluation settings, text tower) are kept as they were.
    /// </summary>
    public RunConfig Base { get; private set; } = new();

    /// <summary>A form filled from an existing run's config, for cloning it with a knob changed.</summary>
    public static RunFormModel FromConfig(RunConfig config) => new()
    {
        Base = config,
        Objective = config.Objective,
        Model = config.Model,
        Dataset = config.Dataset,
        Epochs = config.Epochs,
        BatchSize = config.BatchSize,
        LearningRate = config.LearningRate,
        WeightDecay = config.WeightDecay,
        SslScale = config.SslScale,
        SslMethod = config.SslMethod,
        SslTemperature = config.SslTemperature,
        SslMomentum = config.SslMomentum,
        MaskRatio = config.MaskRatio,
        Seed = config.Seed,
        ImageSize = config.ImageSize,
        PatchSize = config.PatchSize,
        VisionWidth = config.VisionWidth,
        VisionDepth = config.VisionDepth,
        VisionHeads = config.VisionHeads,
        UpdateFreq = config.UpdateFreq,
        ZeroShotEvery = config.ZeroShotEvery,
        EvaluateAtEnd = config.EvaluateAtEndTasks,
        GradClipNorm = config.GradClipNorm ?? 0,
        KeepLastCheckpoints = config.KeepLastCheckpoints ?? 0,
        KeepEveryCheckpoints = config.KeepEveryCheckpoints ?? 0,
        Precision = config.Precision,
        Tokenizer = config.Tokenizer,
    };

    /// <summary>Sets the model shape fields from a preset.</summary>
    public void ApplyPreset(string preset)
    {
        var shape = new RunConfig().WithModelPreset(preset);
        Model = preset;
        (ImageSize, PatchSize, VisionWidth, VisionDepth, VisionHeads) = (shape.ImageSize, shape.PatchSize, shape.VisionWidth, shape.VisionDepth, shape.VisionHeads);
    }

    /// <summary>Sets the objective and the reference's learning rate and weight decay for it.</summary>
    public void ApplyObjective(Objective objective)
    {
        Objective = objective;
        (LearningRate, WeightDecay) = RunConfig.RecipeDefaults(objective);
        if (objective == Objective.Clip)
        {
            ApplySslMethod(SslMethods.SimClr);
        }
    }

    /// <summary>Sets the SSL method and that method's temperature and momentum defaults.</summary>
    public void ApplySslMethod(string method)
    {
        var defaults = SslMethods.WithDefaults(new RunConfig { SslTemperature = SslTemperature, SslMomentum = SslMomentum }, method);
        (SslMethod, SslTemperature, SslMomentum) = (method, defaults.SslTemperature, defaults.SslMomentum);
    }

    public RunFormModel Clone() => (RunFormModel)MemberwiseClone();

    public RunConfig ToConfig() => (Base with
    {
        Objective = Objective,
        Dataset = Dataset,
        // Another dataset than the cloned run's: its source is resolved again at launch.
        Data = Dataset == Base.Dataset ? Base.Data : null,
        EpochSamples = Dataset == Base.Dataset ? Base.EpochSamples : null,
    }).WithModelPreset(Model) with
    {
        UpdateFreq = UpdateFreq,
        ZeroShotEvery = ZeroShotEvery,
        EvaluateAtEnd = string.Join(',', EvaluateAtEnd),
        KeepLastCheckpoints = KeepLastCheckpoints > 0 ? KeepLastCheckpoints : null,
        KeepEveryCheckpoints = KeepEveryCheckpoints > 0 ? KeepEveryCheckpoints : null,
        GradClipNorm = GradClipNorm == 0 ? null : GradClipNorm,
        Precision = Precision,
        Tokenizer = Tokenizer,
        // CLIP's BPE needs its 49,408-token embedding whatever the preset's text size.
        VocabSize = Tokenizer == Slip.Training.Datasets.Tokenizers.ClipBpe ? Slip.Training.Datasets.ClipBpeTokenizer.VocabSize
            : new RunConfig().WithModelPreset(Model).VocabSize,
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        SslScale = SslScale,
        SslMethod = SslMethod,
        SslTemperature = SslTemperature,
        SslMomentum = SslMomentum,
        MaskRatio = MaskRatio,
        Seed = Seed,
        ImageSize = ImageSize,
        PatchSize = PatchSize,
        VisionWidth = VisionWidth,
        VisionDepth = VisionDepth,
        VisionHeads = VisionHeads,
    };
}

/// <summary>What the form hands to its page when the user launches a valid run.</summary>
public sealed record RunFormSubmission(string? Name, RunConfig Config);
