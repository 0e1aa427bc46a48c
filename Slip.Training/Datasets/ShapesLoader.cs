using System.Collections.Concurrent;
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
    private readonly Tensor pixels;

    public ShapesLoader(SyntheticShapes data, RunConfig config)
    {
        this.data = data;
        this.config = config;
        var size = data.Size;
        var all = new byte[data.Count * size * size * 3];
        for (var i = 0; i < data.Count; i++)
        {
            data.Rgb(i).CopyTo(all, i * size * size * 3);
        }

        pixels = tensor(all, [data.Count, size, size, 3]).permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope(); // [N, 3, S, S] uint8
    }

    public int BatchesPerEpoch => data.Count / config.BatchSize;

    /// <summary>Sample order for an epoch: a Fisher-Yates shuffle seeded by (seed, epoch).</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(unchecked((config.Seed * 7919) + (epoch * 104_729) + 1)).Shuffle(order);
        return order;
    }

    /// <summary>Yields the epoch's batches; up to <paramref name="prefetch"/> are prepared ahead on a worker thread. The caller disposes each batch.</summary>
    public IEnumerable<TrainingBatch> Epoch(int epoch, int prefetch = 2, CancellationToken cancellationToken = default)
    {
        using var queue = new BlockingCollection<TrainingBatch>(prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        var order = Order(epoch);
        var producer = Task.Run(() =>
        {
            try
            {
                for (var b = 0; b < BatchesPerEpoch && !token.IsCancellationRequested; b++)
                {
                    var batch = Build(order.AsSpan(b * config.BatchSize, config.BatchSize).ToArray(), epoch);
                    if (!queue.TryAdd(batch, Timeout.Infinite, token))
                    {
                        batch.Dispose();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The consumer stopped early.
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

    /// <summary>Builds one batch for the given sample indices.</summary>
    public TrainingBatch Build(int[] indices, int epoch)
    {
        using var scope = NewDisposeScope();
        var size = config.ImageSize;
        var wantClip = config.Objective is Objective.Clip or Objective.Slip;
        var wantSsl = config.Objective is Objective.SimClr or Objective.Slip;
        var images = new List<Tensor>();
        var aug1 = new List<Tensor>();
        var aug2 = new List<Tensor>();
        var tokens = new long[indices.Length * config.ContextLength];
        for (var k = 0; k < indices.Length; k++)
        {
            var index = indices[k];
            var rng = new Random(unchecked((config.Seed * 73_856_093) ^ (epoch * 19_349_663) ^ (index * 83_492_791)));
            var image = pixels[index].to(ScalarType.Float32) / 255.0f;       // [3, S, S]
            if (wantSsl)
            {
                aug1.Add(Augmentations.SslView(image, size, rng));
                aug2.Add(Augmentations.SslView(image, size, rng));
            }

            if (wantClip)
            {
                images.Add(Augmentations.ClipView(image, size, rng));
                ByteTokenizer.Encode(data.Caption(index), config.ContextLength).CopyTo(tokens, k * config.ContextLength);
            }
        }

        var batch = new TrainingBatch(
            wantClip ? stack(images).DetachFromDisposeScope() : null,                               // [B, 3, I, I]
            wantClip ? tensor(tokens, [indices.Length, config.ContextLength]).DetachFromDisposeScope() : null, // [B, L]
            wantSsl ? stack(aug1).DetachFromDisposeScope() : null,
            wantSsl ? stack(aug2).DetachFromDisposeScope() : null);
        return batch;
    }
}
