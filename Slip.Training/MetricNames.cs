namespace Slip.Training;

/// <summary>
/// The names of every metric Slip logs, in one place: the trainer and objectives write them, the Run page, Compare and
/// checkpoint retention read them.
/// </summary>
public static class MetricNames
{
    // Losses and accuracies of a training step (ObjectiveSpec.Losses).
    public const string Loss = "loss";
    public const string ClipLoss = "clip_loss";
    public const string ClipAcc = "clip_acc";
    public const string SslLoss = "ssl_loss";
    public const string SslAcc = "ssl_acc";

    // What the trainer adds to each metrics line.
    public const string LearningRate = "lr";
    public const string LogitScale = "logit_scale";
    public const string GradNorm = "grad_norm";
    public const string DataWaitPct = "data_wait_pct";
    public const string DataSkipped = "data_skipped";
    public const string ImagesPerSecond = "images_per_s";
    public const string CpuPct = "cpu_pct";
    public const string RssMb = "rss_mb";
    public const string GpuUtilPct = "gpu_util_pct";
    public const string GpuMemMb = "gpu_mem_mb";

    // Evaluation: zero-shot classification (bare in clip_benchmark results, prefixed during training), probe, fine-tune.
    public const string Acc1 = "acc1";
    public const string Acc5 = "acc5";
    public const string MeanPerClassRecall = "mean_per_class_recall";

    /// <summary>ROC-AUC (%) of a two-class zero-shot result, scored logit[1] - logit[0] (hateful_memes).</summary>
    public const string RocAuc = "roc_auc";

    /// <summary>The number the paper reports for a catalog dataset (top-1, mean per-class, (top-1 + top-5) / 2 or ROC-AUC).</summary>
    public const string Reported = "reported";
    public const string ZeroShotPrefix = "zeroshot_";

    /// <summary>Metrics measured on the validation split rather than the test split (val_zeroshot_acc1, ...).</summary>
    public const string ValidationPrefix = "val_";
    public const string ZeroShotAcc1 = ZeroShotPrefix + Acc1;
    public const string ZeroShotAcc5 = ZeroShotPrefix + Acc5;
    public const string LinearProbePrefix = "lp_";
    public const string LinearProbeAcc1 = LinearProbePrefix + Acc1;
    public const string LinearProbeAcc5 = LinearProbePrefix + Acc5;

    /// <summary>The epoch whose test top-1 was best (the probe reports that epoch's numbers, as main_linear.py does).</summary>
    public const string LinearProbeBestEpoch = LinearProbePrefix + "best_epoch";

    /// <summary>The probe's test top-1 after its last epoch.</summary>
    public const string LinearProbeLastAcc1 = LinearProbePrefix + "last_acc1";
    public const string FineTunePrefix = "ft_";
    public const string FineTuneAcc1 = FineTunePrefix + Acc1;
    public const string FineTuneAcc5 = FineTunePrefix + Acc5;

    /// <summary>Image-to-text retrieval recall at k (clip_benchmark's name).</summary>
    public static string TextRetrievalRecallAt(int k) => $"text_retrieval_recall@{k}";

    /// <summary>Text-to-image retrieval recall at k (clip_benchmark's name).</summary>
    public static string ImageRetrievalRecallAt(int k) => $"image_retrieval_recall@{k}";
}
