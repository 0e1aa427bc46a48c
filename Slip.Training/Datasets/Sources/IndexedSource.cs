namespace Slip.Training.Datasets.Sources;

/// <summary>
/// A source whose samples can be read by index (manifests, image folders, IDX files, the built-in sets): each pass
/// is a Fisher-Yates shuffle seeded by (seed, epoch, pass), dealt round-robin to the ranks.
/// </summary>
public abstract class IndexedSource : ISampleSource
{
    public abstract int Length { get; }

    long? ISampleSource.Count => Length;

    public abstract RawSample Read(int index);

    public IEnumerable<RawSample> Stream(int seed, int epoch, int rank, int world, long skip)
    {
        if (Length == 0)
        {
            yield break;
        }

        for (var pass = 0; ; pass++)
        {
            var order = Order(seed, epoch, pass);
            for (var i = rank; i < order.Length; i += world)
            {
                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                yield return Read(order[i]);
            }
        }
    }

    /// <summary>The order of one pass.</summary>
    public int[] Order(int seed, int epoch, int pass = 0)
    {
        var order = Enumerable.Range(0, Length).ToArray();
        new Random(unchecked((seed * 7919) + (epoch * 104_729) + (pass * 15_485_863) + 1)).Shuffle(order);
        return order;
    }
}
