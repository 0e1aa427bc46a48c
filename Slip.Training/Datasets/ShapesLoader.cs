using System.Collections.Concurrent;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Datasets;

/// <summary>
/// Builds augmented batches off the training thread with bounded prefetch. Order is a shuffle seeded by
/// (seed, epoch); each sample's augmentations are seeded by (seed, epoch, index). The last partial batch is dropped,
/// as the reference's DataLoader does.
/// </summary>
public sealed class ShapesLoader
{
    private readonly SyntheticShapes data;
    private readonly RunConfig config;
    private readonly ICaptionTokenizer tokenizer;
    private readonly FloatImage[] images;

    public ShapesLoader(SyntheticShapes data, RunConfig config, ICaptionTokenizer? tokenizer = null)
    {
        this.data = data;
        this.config = config;
        this.tokenizer = tokenizer ?? ByteTokenizer.Instance;
        images = Enumerable.Range(0, data.Count).Select(i => FloatImage.FromRgb(data.Rgb(i), data.Size, data.Size)).ToArray();
    }

    public int BatchesPerEpoch => data.Count / config.BatchSize;

    /// <summary>Sample order for an epoch: a Fisher-Yates shuffle seeded by (seed, epoch).</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(unchecked((config.Seed * 7919) + (epoch * 104_729) + 1)).Shuffle(order);
        return order;
    }

    /// <summary>Yields the epoch's batches from batch <paramref name="skipBatches"/> on; up to <paramref name="prefetch"/> are prepared ahead on a worker thread. The caller disposes each batch.</summary>
    public IEnumerable<TrainingBatch> Epoch(int epoch, int skipBatches = 0, int prefetch = 2, CancellationToken cancellationToken = default)
    {
        using var queue = new BlockingCollection<TrainingBatch>(prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        var order = Order(epoch);
        var producer = Task.Run(() =>
        {
            try
            {
                for (var b = skipBatches; b < BatchesPerEpoch && !token.IsCancellationRequested; b++)
                {
                    var batch = Build(order.AsSpan(b * config.BatchSize, config.BatchSize).ToArray(), epoch);
                    try
                    {
                        queue.Add(batch, token);
                    }
                    catch (OperationCanceledException)
                    {
                        // The consumer stopped early: this batch never reached it.
                        batch.Dispose();
                        break;
                    }
                }
            }
            finally
            {
                queue.CompleteAdding();
            }
        }, CancellationToken.None);

        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(token))
            {
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            producer.Wait(TimeSpan.FromSeconds(30));
            while (queue.TryTake(out var left))
            {
                left.Dispose();
            }
        }
    }

    /// <summary>Builds one batch for the given sample indices, augmenting samples in parallel.</summary>
    public TrainingBatch Build(int[] indices, int epoch)
    {
        var size = config.ImageSize;
        var plane = 3 * size * size;
        var wantClip = config.Objective is Objective.Clip or Objective.Slip;
        var wantSsl = config.Objective is Objective.SimClr or Objective.Slip;
        var wantMim = wantSsl && config.SslMethod == SslMethods.Mim;
        var grid = size / config.PatchSize;
        var clip = wantClip ? new float[indices.Length * plane] : null;
        var aug1 = wantSsl ? new float[indices.Length * plane] : null;
        var aug2 = wantSsl && !wantMim ? new float[indices.Length * plane] : null;
        var mask = wantMim ? new bool[indices.Length * grid * grid] : null;
        var tokens = wantClip ? new long[indices.Length * config.ContextLength] : null;
        Parallel.For(0, indices.Length, k =>
        {
            var index = indices[k];
            var rng = new Random(unchecked((config.Seed * 73_856_093) ^ (epoch * 19_349_663) ^ (index * 83_492_791)));
            var image = images[index];
            if (wantSsl)
            {
                Augmentations.SslView(image, size, rng).Pixels.CopyTo(aug1!, k * plane);
                if (wantMim)
                {
                    // MIM reads one view, with BEiT's blockwise mask drawn per sample like the augmentations.
                    BlockMasking.Generate(grid, config.MaskRatio, rng).CopyTo(mask!, k * grid * grid);
                }
                else
                {
                    Augmentations.SslView(image, size, rng).Pixels.CopyTo(aug2!, k * plane);
                }
            }

            if (wantClip)
            {
                Augmentations.ClipView(image, size, rng).Pixels.CopyTo(clip!, k * plane);
                tokenizer.Tokenize(data.Caption(index), config.ContextLength).CopyTo(tokens!, k * config.ContextLength);
            }
        });

        long[] shape = [indices.Length, 3, size, size];
        return new TrainingBatch(
            clip is null ? null : tensor(clip, shape),                                       // [B, 3, I, I]
            tokens is null ? null : tensor(tokens, [indices.Length, config.ContextLength]),  // [B, L]
            aug1 is null ? null : tensor(aug1, shape),
            aug2 is null ? null : tensor(aug2, shape),
            mask is null ? null : tensor(mask, [indices.Length, grid * grid]));             // [B, T]
    }
}
