namespace Slip.Data;

/// <summary>
/// Logged points of one metric of a run, stored together (decision 0026): the points one ingested batch brought, or
/// several small blocks merged by <see cref="MetricCompaction"/>. <see cref="Points"/> packs each point's step, epoch,
/// value and time (<see cref="MetricBlockCodec"/>); <see cref="MetricQueries"/> reads them back in step order.
/// </summary>
public class MetricBlock
{
    /// <summary>Orders blocks as they were written: of two points at the same step, the one in the later block is the later one.</summary>
    public long Id { get; set; }

    public long RunId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The least step in the block.</summary>
    public long FirstStep { get; set; }

    /// <summary>The greatest step in the block.</summary>
    public long LastStep { get; set; }

    /// <summary>How many points the block holds.</summary>
    public int Count { get; set; }

    public byte[] Points { get; set; } = [];
}
