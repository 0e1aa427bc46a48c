using System.Globalization;
using System.Text;

namespace Slip.Web.Compare;

/// <summary>One finished run as the comparison sees it: its shape, objective, budget and final accuracies (%).</summary>
public sealed record RunScores(string Model, string Objective, int Epochs, double? ZeroShot, double? Linear);

/// <summary>Mean and sample standard deviation of the runs that have a value, and how many did.</summary>
public sealed record Stat(double? Mean, double? Std, int Count)
{
    public static Stat Of(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        if (present.Count == 0)
        {
            return new Stat(null, null, 0);
        }

        var mean = present.Average();
        double? std = present.Count > 1 ? Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / (present.Count - 1)) : null;
        return new Stat(mean, std, present.Count);
    }

    public override string ToString() => Mean is not { } m ? "–" : Std is { } s ? $"{m:F1} ± {s:F1}" : $"{m:F1}";
}

/// <summary>A row of the paper-style table: one objective at one budget, over its seeds, with the gain over CLIP at the same budget.</summary>
public sealed record ComparisonRow(string Model, string Objective, int Epochs, int Runs, Stat ZeroShot, Stat Linear, double? ZeroShotGain, double? LinearGain);

/// <summary>
/// Lays runs out as the paper's tables do: one table per model size, rows objective x epochs, columns zero-shot and
/// linear-probe accuracy (mean ± std over seeds), and the gain over CLIP trained for the same number of epochs.
/// </summary>
public static class ComparisonTable
{
    public static IReadOnlyList<ComparisonRow> Build(IEnumerable<RunScores> runs)
    {
        var groups = runs.GroupBy(r => (r.Model, r.Objective, r.Epochs))
            .Select(g => (g.Key, Runs: g.Count(), ZeroShot: Stat.Of(g.Select(r => r.ZeroShot)), Linear: Stat.Of(g.Select(r => r.Linear))))
            .ToList();
        double? Gain(string model, int epochs, Func<(Stat ZeroShot, Stat Linear), Stat> pick, Stat own, string objective)
        {
            var clip = groups.FirstOrDefault(g => g.Key.Model == model && g.Key.Epochs == epochs && g.Key.Objective == "CLIP");
            return objective == "CLIP" || clip.Runs == 0 || own.Mean is not { } mine || pick((clip.ZeroShot, clip.Linear)).Mean is not { } theirs ? null : mine - theirs;
        }

        return groups
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Epochs).ThenBy(g => ObjectiveOrder(g.Key.Objective)).ThenBy(g => g.Key.Objective, StringComparer.Ordinal)
            .Select(g => new ComparisonRow(g.Key.Model, g.Key.Objective, g.Key.Epochs, g.Runs, g.ZeroShot, g.Linear,
                Gain(g.Key.Model, g.Key.Epochs, p => p.ZeroShot, g.ZeroShot, g.Key.Objective),
                Gain(g.Key.Model, g.Key.Epochs, p => p.Linear, g.Linear, g.Key.Objective)))
            .ToList();
    }

    public static string ToCsv(IEnumerable<ComparisonRow> rows)
    {
        var text = new StringBuilder("model,objective,epochs,runs,zero_shot_mean,zero_shot_std,linear_mean,linear_std,zero_shot_gain_over_clip,linear_gain_over_clip\n");
        foreach (var r in rows)
        {
            text.AppendLine(string.Join(',', Csv(r.Model), Csv(r.Objective), N(r.Epochs), N(r.Runs), N(r.ZeroShot.Mean), N(r.ZeroShot.Std), N(r.Linear.Mean), N(r.Linear.Std), N(r.ZeroShotGain), N(r.LinearGain)));
        }

        return text.ToString();
    }

    public static string ToMarkdown(IEnumerable<ComparisonRow> rows)
    {
        var text = new StringBuilder();
        foreach (var model in rows.GroupBy(r => r.Model))
        {
            text.AppendLine($"### {model.Key}").AppendLine();
            text.AppendLine("| objective | epochs | runs | zero-shot | linear | zero-shot vs CLIP | linear vs CLIP |");
            text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in model)
            {
                text.AppendLine($"| {r.Objective} | {r.Epochs} | {r.Runs} | {r.ZeroShot} | {r.Linear} | {Signed(r.ZeroShotGain)} | {Signed(r.LinearGain)} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    public static string ToLatex(IEnumerable<ComparisonRow> rows)
    {
        var text = new StringBuilder();
        foreach (var model in rows.GroupBy(r => r.Model))
        {
            text.AppendLine(@"\begin{tabular}{llrrr}").AppendLine(@"\toprule");
            text.AppendLine($@"\multicolumn{{5}}{{l}}{{{Tex(model.Key)}}} \\");
            text.AppendLine(@"Objective & Epochs & Runs & Zero-shot & Linear \\").AppendLine(@"\midrule");
            foreach (var r in model)
            {
                string Cell(Stat s, double? gain) => s.Mean is null ? "--" : $"{s.Mean:F1}{(s.Std is { } d ? $" $\\pm$ {d:F1}" : "")}{(gain is { } g ? $" ({Signed(g)})" : "")}";
                text.AppendLine($@"{Tex(r.Objective)} & {r.Epochs} & {r.Runs} & {Cell(r.ZeroShot, r.ZeroShotGain)} & {Cell(r.Linear, r.LinearGain)} \\");
            }

            text.AppendLine(@"\bottomrule").AppendLine(@"\end{tabular}").AppendLine();
        }

        return text.ToString();
    }

    public static string Signed(double? value) => value is { } v ? v.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) : "";

    /// <summary>CLIP first, then the SSL-only objectives, then SLIP variants, as the paper orders its rows.</summary>
    private static int ObjectiveOrder(string objective) => objective == "CLIP" ? 0 : objective.StartsWith("SLIP", StringComparison.Ordinal) ? 2 : 1;

    private static string N(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;

    private static string Tex(string text) => text.Replace("_", @"\_").Replace("%", @"\%").Replace("&", @"\&");
}
