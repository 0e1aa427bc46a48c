using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>Classification and retrieval metrics over score matrices.</summary>
public static class Metrics
{
    /// <summary>top-1 and top-5 accuracy (%) and mean per-class recall (%, the confusion diagonal over row sums, averaged over classes present).</summary>
    public static (double Top1, double Top5, double MeanPerClassRecall) Classification(Tensor logits, int[] labels)
    {
        using var scope = NewDisposeScope();
        var k = (int)Math.Min(5, logits.shape[1]);
        var top = logits.topk(k, dim: 1).indexes;                             // [N, k]
        var truth = Placement.ToDevice(labels.Select(l => (long)l).ToArray(), [labels.Length, 1], logits.device); // [N, 1]
        var hits = top.eq(truth);                                             // [N, k]
        var top1 = hits.select(1, 0).to(ScalarType.Float32).mean().item<float>() * 100;
        var top5 = hits.any(1).to(ScalarType.Float32).mean().item<float>() * 100;
        var predicted = Placement.ToHost<long>(top.select(1, 0));
        var recalls = labels.Distinct().Select(c =>
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToList();
            return members.Count(i => predicted[i] == c) / (double)members.Count;
        });
        return (top1, top5, recalls.Average() * 100);
    }

    /// <summary>ROC-AUC (%) of <paramref name="scores"/> for label 1 against label 0: the chance a positive outscores a negative, ties counting half.</summary>
    public static double RocAuc(float[] scores, int[] labels)
    {
        var positives = scores.Where((_, i) => labels[i] == 1).ToArray();
        var negatives = scores.Where((_, i) => labels[i] == 0).ToArray();
        if (positives.Length == 0 || negatives.Length == 0)
        {
            return double.NaN;
        }

        var wins = positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0.0));
        return 100 * wins / (positives.Length * (double)negatives.Length);
    }

    /// <summary>recall@k (%): for each query row, whether any of its correct items is among the k best scored.</summary>
    public static double RecallAt(Tensor scores, Func<int, int, bool> correct, int k)
    {
        using var scope = NewDisposeScope();
        var best = Placement.ToHost<long>(scores.topk((int)Math.Min(k, scores.shape[1]), dim: 1).indexes);
        var width = (int)Math.Min(k, scores.shape[1]);
        var queries = (int)scores.shape[0];
        var found = Enumerable.Range(0, queries).Count(q => Enumerable.Range(0, width).Any(j => correct(q, (int)best[(q * width) + j])));
        return 100.0 * found / queries;
    }
}
