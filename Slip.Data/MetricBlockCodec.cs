using System.Buffers.Binary;

namespace Slip.Data;

/// <summary>
/// The packing of a <see cref="MetricBlock"/>'s points: per point, in the order logged, its step (int64), epoch and value
/// (IEEE doubles, NaN and infinities included) and time (UTC ticks, int64), all little-endian: 32 bytes a point. There
/// is no header, so two blocks' bytes joined are the block of both's points in that order (compaction relies on it).
/// </summary>
public static class MetricBlockCodec
{
    public const int PointSize = 32;

    /// <summary>Packs <paramref name="count"/> rows from <paramref name="start"/> (all of one metric) into a block of run <paramref name="runId"/>.</summary>
    public static MetricBlock Pack(long runId, IReadOnlyList<MetricRow> rows, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var bytes = new byte[count * PointSize];
        var (first, last) = (long.MaxValue, long.MinValue);
        for (var i = 0; i < count; i++)
        {
            var row = rows[start + i];
            var span = bytes.AsSpan(i * PointSize, PointSize);
            BinaryPrimitives.WriteInt64LittleEndian(span, row.Step);
            BinaryPrimitives.WriteDoubleLittleEndian(span[8..], row.Epoch);
            BinaryPrimitives.WriteDoubleLittleEndian(span[16..], row.Value);
            BinaryPrimitives.WriteInt64LittleEndian(span[24..], Utc(row.Time).Ticks);
            (first, last) = (Math.Min(first, row.Step), Math.Max(last, row.Step));
        }

        return new MetricBlock { RunId = runId, Name = rows[start].Name, FirstStep = first, LastStep = last, Count = count, Points = bytes };
    }

    /// <summary>The step of the block's <paramref name="index"/>-th point.</summary>
    public static long StepAt(ReadOnlySpan<byte> points, int index) => BinaryPrimitives.ReadInt64LittleEndian(points[(index * PointSize)..]);

    /// <summary>The block's <paramref name="index"/>-th point as a row of metric <paramref name="name"/>.</summary>
    public static MetricRow RowAt(ReadOnlySpan<byte> points, int index, string name)
    {
        var span = points.Slice(index * PointSize, PointSize);
        return new MetricRow(
            name,
            BinaryPrimitives.ReadInt64LittleEndian(span),
            BinaryPrimitives.ReadDoubleLittleEndian(span[8..]),
            BinaryPrimitives.ReadDoubleLittleEndian(span[16..]),
            new DateTime(BinaryPrimitives.ReadInt64LittleEndian(span[24..]), DateTimeKind.Utc));
    }

    /// <summary>Every point of <paramref name="block"/>, in the order logged.</summary>
    public static IEnumerable<MetricRow> Rows(MetricBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        for (var i = 0; i < block.Count; i++)
        {
            yield return RowAt(block.Points, i, block.Name);
        }
    }

    internal static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
}
