using System.Globalization;
using System.Text;
using Slip.Training;

namespace Slip.Web.Compare;

/// <summary>One finished run as the comparison sees it: its shape, objective, budget and final accuracies (%).</summary>
public sealed record RunScores(string Model, string Objective, int Epochs, double? ZeroShot, double? Linear, double? FineTune = null);

/// <summary>A row of the paper-style table: one objective at one budget, over its seeds, with the gain over CLIP at the same budget.</summary>
public sealed record ComparisonRow(
    string Model, string Objective, int Epochs, int Runs, Stat ZeroShot, Stat Linear, Stat FineTune, double? ZeroShotGain, double? LinearGain, double? FineTuneGain);

/// <summary>
/// Lays runs out as the paper's tables do: one table per model size, rows objective x epochs, columns zero-shot,
/// linear-probe and fine-tuning accuracy (mean ± std over seeds), and the gain over CLIP trained for the same number
/// of epochs.
/// </summary>
public static class ComparisonTable
{
    public static IReadOnlyList<ComparisonRow> Build(IEnumerable<RunScores> runs)
    {
        var groups = runs.GroupBy(r => (r.Model, r.Objective, r.Epochs))
            .Select(g => (g.Key, Runs: g.Count(), Stats: new[] { Stat.Of(g.Select(r => r.ZeroShot)), Stat.Of(g.Select(r => r.Linear)), Stat.Of(g.Select(r => r.FineTune)) }))
            .ToList();
        double?[] Gains((string Model, string Objective, int Epochs) key, Stat[] own)
        {
            var clip = groups.FirstOrDefault(g => g.Key.Model == key.Model && g.Key.Epochs == key.Epochs && g.Key.Objective == "CLIP");
            return own.Select((stat, i) => key.Objective == "CLIP" || clip.Runs == 0 || stat.Mean is not { } mine || clip.Stats[i].Mean is not { } theirs ? (double?)null : mine - theirs).ToArray();
        }

        return groups
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Epochs).ThenBy(g => ObjectiveOrder(g.Key.Objective)).ThenBy(g => g.Key.Objective, StringComparer.Ordinal)
            .Select(g =>
            {
                var gains = Gains(g.Key, g.Stats);
                return new ComparisonRow(g.Key.Model, g.Key.Objective, g.Key.Epochs, g.Runs, g.Stats[0], g.Stats[1], g.Stats[2], gains[0], gains[1], gains[2]);
            })
            .ToList();
    }

    public static string ToCsv(IEnumerable<ComparisonRow> rows)
    {
        var text = new StringBuilder("model,objective,epochs,runs,zero_shot_mean,zero_shot_std,linear_mean,linear_std,finetune_mean,finetune_std,zero_shot_gain_over_clip,linear_gain_over_clip,finetune_gain_over_clip\n");
        foreach (var r in rows)
        {
            text.AppendLine(string.Join(',', CsvText.Field(r.Model), CsvText.Field(r.Objective), N(r.Epochs), N(r.Runs), N(r.ZeroShot.Mean), N(r.ZeroShot.Std), N(r.Linear.Mean), N(r.Linear.Std),
                N(r.FineTune.Mean), N(r.FineTune.Std), N(r.ZeroShotGain), N(r.LinearGain), N(r.FineTuneGain)));
        }

        return text.ToString();
    }

    public static string ToMarkdown(IEnumerable<ComparisonRow> rows)
    {
        var text = new StringBuilder();
        foreach (var model in rows.GroupBy(r => r.Model))
        {
            text.AppendLine($"### {model.Key}").AppendLine();
            text.AppendLine("| objective | epochs | runs | zero-shot | linear | fine-tune | zero-shot vs CLIP | linear vs CLIP | fine-tune vs CLIP |");
            text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in model)
            {
                text.AppendLine($"| {r.Objective} | {r.Epochs} | {r.Runs} | {r.ZeroShot} | {r.Linear} | {r.FineTune} | {Signed(r.ZeroShotGain)} | {Signed(r.LinearGain)} | {Signed(r.FineTuneGain)} |");
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
            text.AppendLine(@"\begin{tabular}{llrrrr}").AppendLine(@"\toprule");
            text.AppendLine($@"\multicolumn{{6}}{{l}}{{{Tex(model.Key)}}} \\");
            text.AppendLine(@"Objective & Epochs & Runs & Zero-shot & Linear & Fine-tune \\").AppendLine(@"\midrule");
            foreach (var r in model)
            {
                string Cell(Stat s, double? gain) => s.Mean is null ? "--" : $"{s.Mean:F1}{(s.Std is { } d ? $" $\\pm$ {d:F1}" : "")}{(gain is { } g ? $" ({Signed(g)})" : "")}";
                text.AppendLine($@"{Tex(r.Objective)} & {r.Epochs} & {r.Runs} & {Cell(r.ZeroShot, r.ZeroShotGain)} & {Cell(r.Linear, r.LinearGain)} & {Cell(r.FineTune, r.FineTuneGain)} \\");
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

    private static string Tex(string text) => text.Replace("_", @"\_").Replace("%", @"\%").Replace("&", @"\&");
}
