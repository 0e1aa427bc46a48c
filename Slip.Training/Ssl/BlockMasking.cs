namespace Slip.Training.Ssl;

/// <summary>
/// BEiT's blockwise masking: rectangles of patches with a random area and aspect ratio (0.3 to 1/0.3) are masked
/// until about <c>ratio</c> of the grid is covered. BEiT masks 75 of 196 patches with blocks of at least 16; the
/// minimum block here scales with the grid (16 x patches / 196, at least 1) so small CPU grids mask blocks too.
/// </summary>
public static class BlockMasking
{
    private const int Attempts = 10;
    private const double MinAspect = 0.3;

    /// <summary>A [grid x grid] mask in row-major patch order, true where a patch is masked.</summary>
    public static bool[] Generate(int grid, double ratio, Random rng)
    {
        var patches = grid * grid;
        var target = (int)Math.Round(patches * ratio);
        var minBlock = Math.Max(1, (int)Math.Round(16.0 * patches / 196));
        var mask = new bool[patches];
        var count = 0;
        while (count < target)
        {
            var added = AddBlock(mask, grid, minBlock, target - count, rng);
            if (added == 0)
            {
                break;
            }

            count += added;
        }

        return mask;
    }

    /// <summary>Masks one block that adds at most <paramref name="budget"/> new patches; returns how many it added.</summary>
    private static int AddBlock(bool[] mask, int grid, int minBlock, int budget, Random rng)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var area = minBlock + (rng.NextDouble() * (Math.Max(budget, minBlock) - minBlock));
            var aspect = Math.Exp(Math.Log(MinAspect) + (rng.NextDouble() * (Math.Log(1 / MinAspect) - Math.Log(MinAspect))));
            var h = (int)Math.Round(Math.Sqrt(area * aspect));
            var w = (int)Math.Round(Math.Sqrt(area / aspect));
            if (h < 1 || w < 1 || h > grid || w > grid)
            {
                continue;
            }

            var top = rng.Next(grid - h + 1);
            var left = rng.Next(grid - w + 1);
            var fresh = 0;
            for (var r = top; r < top + h; r++)
            {
                for (var c = left; c < left + w; c++)
                {
                    fresh += mask[(r * grid) + c] ? 0 : 1;
                }
            }

            if (fresh == 0 || fresh > budget)
            {
                continue;
            }

            for (var r = top; r < top + h; r++)
            {
                for (var c = left; c < left + w; c++)
                {
                    mask[(r * grid) + c] = true;
                }
            }

            return fresh;
        }

        return 0;
    }
}
