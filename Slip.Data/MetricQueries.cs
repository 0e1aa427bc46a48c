using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>
/// Reading logged points back out of their <see cref="MetricBlock"/>s (writes go through <see cref="MetricIngest"/>): in
/// step order, and of two points at one step the later logged last (the later block, then the later place in it).
/// </summary>
public static class MetricQueries
{
    /// <summary>The points of one metric of one run with step greater than <paramref name="afterStep"/>, in step order.</summary>
    public static async Task<List<MetricRow>> SeriesAsync(SlipDbContext db, long runId, string name, long afterStep = -1, CancellationToken cancellationToken = default)
    {
        var rows = new List<MetricRow>();
        if (afterStep == long.MaxValue)
        {
            return rows;
        }

        await foreach (var row in ReadAsync(db, runId, name, afterStep + 1, long.MaxValue, cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Every point of the run, metric by metric (in name order), each metric in step order.</summary>
    public static async Task<List<MetricRow>> RunAsync(SlipDbContext db, long runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var names = await db.MetricBlocks.Where(b => b.RunId == runId).Select(b => b.Name).Distinct().ToListAsync(cancellationToken);
        var rows = new List<MetricRow>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            rows.AddRange(await SeriesAsync(db, runId, name, cancellationToken: cancellationToken));
        }

        return rows;
    }

    /// <summary>The points of one metric with steps in [<paramref name="from"/>, <paramref name="to"/>] in step order, one by one (see <see cref="ReadChunksAsync"/>).</summary>
    public static async IAsyncEnumerable<MetricRow> ReadAsync(SlipDbContext db, long runId, string name, long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in ReadChunksAsync(db, runId, name, from, to, cancellationToken))
        {
            foreach (var row in chunk)
            {
                yield return row;
            }
        }
    }

    /// <summary>
    /// Streams the points of one metric with steps in [<paramref name="from"/>, <paramref name="to"/>] in step order, in
    /// chunks of about a block, so a reader loops over each without an await per point. The blocks come in one query
    /// (one snapshot, whatever compaction commits meanwhile), a block at a time: memory stays at about two blocks.
    /// </summary>
    public static async IAsyncEnumerable<List<MetricRow>> ReadChunksAsync(SlipDbContext db, long runId, string name, long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var blocks = db.MetricBlocks.AsNoTracking()
            .Where(b => b.RunId == runId && b.Name == name && b.LastStep >= from && b.FirstStep <= to)
            .OrderBy(b => b.FirstStep).ThenBy(b => b.Id)
            .AsAsyncEnumerable();
        var pending = new PendingPoints(name, from, to);
        MetricBlock? previous = null;
        await foreach (var block in blocks.WithCancellation(cancellationToken))
        {
            // A block is given out once the next one's first step is known: no block still to come starts before it.
            if (previous is not null)
            {
                foreach (var chunk in pending.Take(previous, block.FirstStep))
                {
                    yield return chunk;
                }
            }

            previous = block;
        }

        if (previous is not null)
        {
            foreach (var chunk in pending.Take(previous, null))
            {
                yield return chunk;
            }
        }

        if (pending.Rest() is { Count: > 0 } rest)
        {
            yield return rest;
        }
    }

    /// <summary>
    /// Points read but not yet given out: a point can go once no block still to come can hold a smaller step. Kept in
    /// (step, block, place) order, sorting only when a block arrives out of order (blocks of one metric rarely overlap).
    /// </summary>
    private sealed class PendingPoints(string name, long from, long to)
    {
        private readonly List<(MetricRow Row, long Block, int Index)> points = [];
        private int head;
        private bool sorted = true;

        /// <summary>
        /// The chunks that can go out once <paramref name="block"/> is read, given the first step of the next block in
        /// (FirstStep, Id) order (null if none).
        /// </summary>
        public IEnumerable<List<MetricRow>> Take(MetricBlock block, long? nextFirstStep)
        {
            if (Before(block.FirstStep) is { Count: > 0 } ready)
            {
                yield return ready;
            }

            var (rows, inOrder) = (new List<MetricRow>(block.Count), true);
            for (var k = 0; k < block.Count; k++)
            {
                var step = MetricBlockCodec.StepAt(block.Points, k);
                if (step >= from && step <= to)
                {
                    inOrder &= rows.Count == 0 || rows[^1].Step <= step;
                    rows.Add(MetricBlockCodec.RowAt(block.Points, k, name));
                }
            }

            // The usual case: a block in step order that no block still to come overlaps goes out as it is.
            if (inOrder && head == points.Count && (nextFirstStep is null || nextFirstStep > block.LastStep))
            {
                if (rows.Count > 0)
                {
                    yield return rows;
                }

                yield break;
            }

            for (var k = 0; k < rows.Count; k++)
            {
                Add(rows[k], block.Id, k);
            }
        }

        /// <summary>Everything still pending, in order (after the last block).</summary>
        public List<MetricRow> Rest()
        {
            var rest = Before(long.MaxValue);
            rest.AddRange(points.Skip(head).Select(p => p.Row));   // steps of long.MaxValue itself
            (head, sorted) = (0, true);
            points.Clear();
            return rest;
        }

        private void Add(MetricRow row, long block, int index)
        {
            var item = (row, block, index);
            if (sorted && points.Count > head && Compare(points[^1], item) > 0)
            {
                sorted = false;
            }

            points.Add(item);
        }

        /// <summary>Gives out, in order, every pending point with a step below <paramref name="step"/>.</summary>
        private List<MetricRow> Before(long step)
        {
            if (!sorted)
            {
                points.Sort(head, points.Count - head, Comparer<(MetricRow, long, int)>.Create(Compare));
                sorted = true;
            }

            var ready = new List<MetricRow>();
            while (head < points.Count && points[head].Row.Step < step)
            {
                ready.Add(points[head++].Row);
            }

            if (head == points.Count || head > 4096)
            {
                points.RemoveRange(0, head);
                head = 0;
            }

            return ready;
        }

        private static int Compare((MetricRow Row, long Block, int Index) a, (MetricRow Row, long Block, int Index) b) =>
            a.Row.Step != b.Row.Step ? a.Row.Step.CompareTo(b.Row.Step)
            : a.Block != b.Block ? a.Block.CompareTo(b.Block)
            : a.Index.CompareTo(b.Index);
    }
}
