namespace Slip.Training.Datasets.Sources;

/// <summary>
/// A dataset as the loader reads it: a deterministic stream of samples for (seed, epoch), split across the ranks of
/// a data-parallel world so each sees a disjoint part.
/// </summary>
public interface ISampleSource
{
    /// <summary>Samples in one pass (all ranks), when known without reading everything.</summary>
    long? Count { get; }

    /// <summary>
    /// The epoch's samples for <paramref name="rank"/> of <paramref name="world"/>, in an order fixed by
    /// (<paramref name="seed"/>, <paramref name="epoch"/>), endlessly (pass after pass, each in a fresh order), after
    /// skipping the first <paramref name="skip"/> without decoding them.
    /// </summary>
    IEnumerable<RawSample> Stream(int seed, int epoch, int rank, int world, long skip);
}
