namespace Slip.Training.Datasets.Text;

/// <summary>A set of code points stored as sorted, disjoint [first, last] ranges.</summary>
internal sealed class CodePointSet
{
    private readonly int[] firsts;
    private readonly int[] lasts;

    public CodePointSet(IEnumerable<(int First, int Last)> ranges)
    {
        var sorted = ranges.OrderBy(r => r.First).ToArray();
        firsts = sorted.Select(r => r.First).ToArray();
        lasts = sorted.Select(r => r.Last).ToArray();
    }

    public bool Contains(int codePoint)
    {
        var i = Array.BinarySearch(firsts, codePoint);
        if (i < 0)
        {
            i = ~i - 1;
        }

        return i >= 0 && codePoint <= lasts[i];
    }
}
