using System.Text.Json.Serialization;

namespace Slip.Training.Evaluation;

/// <summary>How a linear probe sees its training images.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProbeProtocol>))]
public enum ProbeProtocol
{
    /// <summary>
    /// The reference's <c>main_linear.py</c>: every epoch a fresh RandomResizedCrop (scale 0.08-1) and flip of each
    /// training image through the frozen tower, batch 1024, learning rate 0.00625; tested on Resize(256) /
    /// CenterCrop(224) views (the same ratio at other sizes).
    /// </summary>
    [JsonStringEnumMemberName("reference")]
    Reference,

    /// <summary>Slip's fast probe: features of the evaluation crops computed once and cached, batch 256, learning rate 0.1.</summary>
    [JsonStringEnumMemberName("cached-features")]
    CachedFeatures,
}

/// <summary>The linear probe's recipe (slip-reference 6.2): SGD, momentum 0.9, no weight decay, cosine per epoch, no warmup.</summary>
public sealed record LinearProbeOptions
{
    public ProbeProtocol Protocol { get; init; } = ProbeProtocol.Reference;

    public int Epochs { get; init; } = 90;

    /// <summary>Null means the protocol's: 1024 (the reference's 8 GPUs x 128) or 256 (cached features).</summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// Peak learning rate. Null means the protocol's: for the reference, what main_linear.py computes for the README's
    /// 8 x 128 run, 0.1 x int(128 / 8) / 256 = 0.00625 (its formula divides the per-GPU batch by the GPU count, a known
    /// bug; MoCo v3's rule would give 0.4); for cached features MoCo v3's rule, 0.1 x batch / 256.
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>Test every this many epochs and after the last: the reference's 10.</summary>
    public int EvalEvery { get; init; } = 10;

    public int Seed { get; init; }

    /// <summary>Called after each epoch with (epochs done, epochs in all).</summary>
    public Action<int, int>? OnEpoch { get; init; }

    public int EffectiveBatchSize => BatchSize ?? (Protocol == ProbeProtocol.Reference ? 1024 : 256);

    public double EffectiveLearningRate => LearningRate ?? (Protocol == ProbeProtocol.Reference ? 0.1 * (128 / 8) / 256 : 0.1 * EffectiveBatchSize / 256);
}
