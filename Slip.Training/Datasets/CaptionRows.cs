namespace Slip.Training.Datasets;

/// <summary>The one place a caption's ids become a fixed-length row: [SOT] + ids + [EOT], zero-padded, cut by a <see cref="Truncation"/> rule.</summary>
public static class CaptionRows
{
    public static long[] Fit(IReadOnlyList<int> body, long startOfText, long endOfText, int contextLength, Truncation truncation)
    {
        var row = new long[contextLength];
        row[0] = startOfText;
        if (truncation == Truncation.Reference)
        {
            // The released SLIP code: [SOT] + ids + [EOT], then the first contextLength tokens; a long caption loses EOT.
            var kept = Math.Min(body.Count, contextLength - 1);
            for (var i = 0; i < kept; i++)
            {
                row[i + 1] = body[i];
            }

            if (body.Count + 2 <= contextLength)
            {
                row[body.Count + 1] = endOfText;
            }

            return row;
        }

        // open_clip: at most contextLength - 2 ids, so EOT is always the last token kept.
        var fitted = Math.Min(body.Count, contextLength - 2);
        for (var i = 0; i < fitted; i++)
        {
            row[i + 1] = body[i];
        }

        row[fitted + 1] = endOfText;
        return row;
    }
}
