using System.Collections.Concurrent;
using Slip.Training.Datasets.Sources;
using Slip.Training.Ssl;
using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Datasets;

/// <summary>
/// Builds augmented batches off the training thread with bounded prefetch (memory does not grow with the dataset).
/// The epoch's sample stream comes from the source in an order fixed by (seed, epoch); each sample's decode and
/// augmentations run in parallel, seeded by (seed, epoch, position), so any thread gives the same batch. Samples
/// that cannot be used (undecodable, truncated, missing caption, outside the data roots) are dropped from their batch
/// and counted in <see cref="Skipped"/>; a batch therefore holds at most BatchSize samples.
/// </summary>
public sealed class BatchLoader
{
    private readonly ISampleSource source;
    private readonly RunConfig config;
    private readonly ICaptionTokenizer tokenizer;
    private readonly int rank;
    private readonly int world;
    private readonly ConcurrentDictionary<string, long> skipped = new();

    public BatchLoader(ISampleSource source, RunConfig config, ICaptionTokenizer? tokenizer = null, int rank = 0, int world = 1)
    {
        this.source = source;
        this.config = config;
        this.tokenizer = tokenizer ?? ByteTokenizer.Instance;
        this.rank = rank;
        this.world = world;
        var samples = config.Data.EpochSamples ?? source.Count
            ?? throw new InvalidOperationException("The dataset's size is unknown (no sizes.json or _stats.json beside the shards): set epochSamples in the run config.");
        BatchesPerEpoch = (int)Math.Min(int.MaxValue, samples / world / config.Optim.BatchSize);
    }

    /// <summary>A loader over the built-in synthetic shapes.</summary>
    public BatchLoader(SyntheticShapes data, RunConfig config, ICaptionTokenizer? tokenizer = null)
        : this(new ShapesSource(data), config, tokenizer)
    {
    }

    /// <summary>The device the batches are for: they are built in CPU memory, pinned when this is a CUDA device (see <see cref="Placement"/>).</summary>
    public Device Device { get; init; } = CPU;

    /// <summary>Batches in an epoch: epochSamples (or the dataset's size) / world / batch; the last partial batch is dropped.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Samples skipped so far, by reason.</summary>
    public IReadOnlyDictionary<string, long> SkippedByReason => skipped;

    public long Skipped => skipped.Values.Sum();

    /// <summary>Sample order of an epoch's first pass, for sources read by index.</summary>
    public int[] Order(int epoch) => ((IndexedSource)source).Order(config.Seed, epoch);

    /// <summary>Yields the epoch's batches from batch <paramref name="skipBatches"/> on; up to <paramref name="prefetch"/> are prepared ahead on a worker thread. The caller disposes each batch.</summary>
    public IEnumerable<TrainingBatch> Epoch(int epoch, int skipBatches = 0, int prefetch = 2, CancellationToken cancellationToken = default)
    {
        using var queue = new BlockingCollection<TrainingBatch>(prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        var producer = Task.Run(() =>
        {
            try
            {
                var position = (long)skipBatches * config.Optim.BatchSize;
                var stream = source.Stream(config.Seed, epoch, rank, world, position).Chunk(config.Optim.BatchSize).Take(BatchesPerEpoch - skipBatches);
                foreach (var samples in ReadAhead(stream, token))
                {
                    if (token.IsCancellationRequested)
                    {
                        break;
                    }

                    var batch = Build(samples, epoch, position);
                    position += samples.Length;
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

        if (producer.IsFaulted)
        {
            throw producer.Exception!.InnerException!;
        }
    }

    /// <summary>
    /// Reads the next batch's samples (shard or file IO) on its own thread while the current batch decodes, one batch
    /// ahead; what the reader throws is thrown here.
    /// </summary>
    private static IEnumerable<RawSample[]> ReadAhead(IEnumerable<RawSample[]> chunks, CancellationToken token)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        using var ahead = new BlockingCollection<RawSample[]>(1);
        var reader = Task.Run(() =>
        {
            try
            {
                foreach (var chunk in chunks)
                {
                    ahead.Add(chunk, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // The loader stopped; nothing more is wanted.
            }
            finally
            {
                ahead.CompleteAdding();
            }
        }, CancellationToken.None);
        var finished = false;
        try
        {
            foreach (var chunk in ahead.GetConsumingEnumerable(CancellationToken.None))
            {
                yield return chunk;
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // Left early: stop the reader and let it end before its collection goes away.
                stop.Cancel();
                try
                {
                    reader.Wait();
                }
                catch (AggregateException)
                {
                    // A read failure no one is waiting for any more.
                }
            }
        }

        reader.GetAwaiter().GetResult();
    }

    /// <summary>Builds one batch from samples read by index (augmentations seeded by index), for sources read by index.</summary>
    public TrainingBatch Build(int[] indices, int epoch)
    {
        var indexed = (IndexedSource)source;
        return Build(indices.Select(indexed.Read).ToArray(), epoch, indices.Select(i => (long)i).ToArray());
    }

    private TrainingBatch Build(RawSample[] samples, int epoch, long firstPosition) =>
        Build(samples, epoch, Enumerable.Range(0, samples.Length).Select(k => firstPosition + k).ToArray());

    private TrainingBatch Build(RawSample[] samples, int epoch, long[] positions)
    {
        var size = config.Vision.ImageSize;
        var needs = config.Spec.Needs(config);
        var wantClip = needs.ClipView;
        var grid = size / config.Vision.PatchSize;
        var n = samples.Length;
        long[] viewShape = [n, 3, size, size];
        // Views are written straight into the batch tensors (decision 0024); the rows of samples that fail are dropped after.
        var clip = wantClip ? empty(viewShape, ScalarType.Float32, device: CPU) : null;
        var aug1 = needs.SslViews > 0 ? empty(viewShape, ScalarType.Float32, device: CPU) : null;
        var aug2 = needs.SslViews > 1 ? empty(viewShape, ScalarType.Float32, device: CPU) : null;
        var (clipRows, aug1Rows, aug2Rows) = (Rows(clip), Rows(aug1), Rows(aug2));
        var mask = needs.Mask ? new bool[n * grid * grid] : null;
        var tokens = wantClip ? new long[n * config.Text.ContextLength] : null;
        var ok = new bool[n];
        Parallel.For(0, n, k =>
        {
            var sample = samples[k];
            var (image, problem) = Decode(sample, wantClip);
            if (image is null)
            {
                skipped.AddOrUpdate(Category(problem!), 1, (_, c) => c + 1);
                return;
            }

            ok[k] = true;
            var rng = new Random(unchecked((config.Seed * 73_856_093) ^ (epoch * 19_349_663) ^ (int)(positions[k] * 83_492_791)));
            if (aug1Rows is not null)
            {
                Augmentations.SslView(image, size, rng, aug1Rows.Row(k));
            }

            if (mask is not null)
            {
                // MIM reads one view, with BEiT's blockwise mask drawn per sample like the augmentations.
                BlockMasking.Generate(grid, config.Ssl.MaskRatio, rng).CopyTo(mask, k * grid * grid);
            }

            if (aug2Rows is not null)
            {
                Augmentations.SslView(image, size, rng, aug2Rows.Row(k));
            }

            if (clipRows is not null)
            {
                Augmentations.ClipView(image, size, rng, clipRows.Row(k));
                tokenizer.Tokenize(sample.Caption!, config.Text.ContextLength).CopyTo(tokens!, k * config.Text.ContextLength);
            }

            image.Return();                                                     // a decoded image's pixels go back to the pool
        });

        var keep = Enumerable.Range(0, n).Where(k => ok[k]).ToArray();
        return new TrainingBatch(
            clip is null ? null : Host(Kept(clip, keep)),                                                                                // [B, 3, I, I]
            tokens is null ? null : Host(tensor(Rows(tokens, keep, config.Text.ContextLength), [keep.Length, config.Text.ContextLength], device: CPU)), // [B, L]
            aug1 is null ? null : Host(Kept(aug1, keep)),
            aug2 is null ? null : Host(Kept(aug2, keep)),
            mask is null ? null : Host(tensor(Rows(mask, keep, grid * grid), [keep.Length, grid * grid], device: CPU)));              // [B, T]
    }

    /// <summary>The sample's image, decoded at no less than 1.5x the model's size, or why it cannot be used.</summary>
    private (FloatImage? Image, string? Problem) Decode(RawSample sample, bool needCaption)
    {
        if (sample.Problem is not null)
        {
            return (null, sample.Problem);
        }

        if (needCaption && string.IsNullOrWhiteSpace(sample.Caption))
        {
            return (null, "missing caption");
        }

        return sample.Image is not null ? (sample.Image, null)
            : sample.Encoded is not null ? ImageDecoder.Decode(sample.Encoded, (int)Math.Ceiling(config.Vision.ImageSize * 1.5), rent: true)
            : (null, "no image");
    }

    /// <summary>A batch tensor in the host memory the device wants (pinned for CUDA).</summary>
    private Tensor Host(Tensor built) => Placement.PinnedFor(built, Device);

    /// <summary>A reason without its per-sample details, so the counts stay a short list.</summary>
    private static string Category(string problem) => problem.Split(':')[0].Trim();

    private static TensorRows? Rows(Tensor? batch) => batch is null ? null : new TensorRows(batch);

    /// <summary>The batch's rows at <paramref name="keep"/>: the batch itself when every sample was kept, else a copy of those rows (and the batch is freed).</summary>
    private static Tensor Kept(Tensor batch, int[] keep)
    {
        if (keep.Length == batch.shape[0])
        {
            return batch;
        }

        using (batch)
        using (var index = tensor(keep.Select(k => (long)k).ToArray(), device: CPU))
        {
            return batch.index_select(0, index);
        }
    }

    private static T[] Rows<T>(T[] data, int[] keep, int rowLength)
    {
        if (keep.Length * rowLength == data.Length)
        {
            return data;
        }

        var rows = new T[keep.Length * rowLength];
        for (var r = 0; r < keep.Length; r++)
        {
            Array.Copy(data, keep[r] * rowLength, rows, r * rowLength, rowLength);
        }

        return rows;
    }
}
