namespace Slip.Training.Evaluation;

/// <summary>
/// The end-to-end fine-tuning recipe (slip-reference 6.3, BEiT's), scaled to the data: epochs and warmup as a
/// fraction of them, AdamW with constant weight decay 0.05, layer-wise lr decay, Mixup/CutMix with label smoothing.
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>The reference runs 100 epochs (50 for ViT-L); small data sets converge in far fewer.</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Warmup length as a fraction of <see cref="Epochs"/>: the reference warms up 20 of 100 epochs (5 of 50 for ViT-L).</summary>
    public double WarmupFraction { get; init; } = 0.2;

    public int BatchSize { get; init; } = 64;

    /// <summary>Peak learning rate; null means the reference's 4e-3 at its global batch of 1024, scaled linearly to <see cref="BatchSize"/>.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Layer-wise lr decay; null means the reference's 0.65, or 0.75 for 24-block towers (ViT-L).</summary>
    public double? LayerDecay { get; init; }

    public double WeightDecay { get; init; } = 0.05;

    public double MinLearningRate { get; init; } = 1e-6;

    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Mixup's Beta(α, α); 0 turns Mixup off.</summary>
    public double MixupAlpha { get; init; } = 0.8;

    /// <summary>CutMix's Beta(α, α); 0 turns CutMix off.</summary>
    public double CutMixAlpha { get; init; } = 1.0;

    public int Seed { get; init; }

    /// <summary>Called after each epoch with (epochs done, epochs in all).</summary>
    public Action<int, int>? OnEpoch { get; init; }

    public double EffectiveLearningRate => LearningRate ?? (4e-3 * BatchSize / 1024);

    public double EffectiveLayerDecay(int depth) => LayerDecay ?? (depth >= 24 ? 0.75 : 0.65);
}
