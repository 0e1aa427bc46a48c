using System.Globalization;
using Slip.Data;

namespace Slip.Web.Runs;

/// <summary>A <see cref="RunFilter"/> and metric columns as URL query parameters (the API and the CSV link), and back.</summary>
public static class RunFilterQuery
{
    public static string ToQueryString(RunFilter f, IEnumerable<string> metrics)
    {
        var pairs = new List<(string, string?)>
        {
            ("search", f.Search), ("status", f.Status?.ToString()), ("objective", f.Objective), ("model", f.Model), ("dataset", f.Dataset),
            ("tag", f.Tag), ("sort", f.Sort), ("desc", f.Descending ? "true" : "false"), ("metrics", string.Join(',', metrics)),
        };
        return string.Join('&', pairs.Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
    }

    /// <summary>The filter from query parameters, or the problem with them (an unknown status or sort).</summary>
    public static (RunFilter? Filter, IReadOnlyList<string> Metrics, string? Error) Parse(Func<string, string?> get)
    {
        RunStatus? status = null;
        if (get("status") is { Length: > 0 } s)
        {
            if (!Enum.TryParse<RunStatus>(s, ignoreCase: true, out var parsed))
            {
                return (null, [], $"Unknown status '{s}'. Known: {string.Join(", ", Enum.GetNames<RunStatus>())}.");
            }

            status = parsed;
        }

        var sort = get("sort") ?? "created";
        if (!RunQuery.Sorts.Contains(sort) && !(sort.StartsWith("metric:", StringComparison.Ordinal) && sort.Split(':') is [_, { Length: > 0 }, "last" or "best"]))
        {
            return (null, [], $"Unknown sort '{sort}'. Use one of {string.Join(", ", RunQuery.Sorts)}, or metric:NAME:last / metric:NAME:best.");
        }

        var metrics = (get("metrics") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Take(20).ToList();
        var filter = new RunFilter
        {
            Search = get("search"),
            Status = status,
            Objective = get("objective"),
            Model = get("model"),
            Dataset = get("dataset"),
            Tag = get("tag"),
            Sort = sort,
            Descending = !string.Equals(get("desc"), "false", StringComparison.OrdinalIgnoreCase),
        };
        return (filter, metrics, null);
    }

    /// <summary>The rows as CSV: one line per run, with the last and best value of each metric column.</summary>
    public static string ToCsv(IEnumerable<RunRow> rows, IReadOnlyList<string> metrics)
    {
        var text = new System.Text.StringBuilder("id,name,objective,model,dataset,status,tags,step,total_steps,progress,created,started,finished");
        foreach (var m in metrics)
        {
            text.Append(CultureInfo.InvariantCulture, $",{CsvText.Field(m)}_last,{CsvText.Field(m)}_best,{CsvText.Field(m)}_best_step");
        }

        text.Append('\n');
        foreach (var row in rows)
        {
            var r = row.Run;
            text.Append(string.Join(',', r.Id.ToString(CultureInfo.InvariantCulture), CsvText.Field(r.Name), CsvText.Field(r.Objective), CsvText.Field(r.Model), CsvText.Field(r.Dataset), r.Status, CsvText.Field(string.Join(' ', row.Tags)),
                r.Step.ToString(CultureInfo.InvariantCulture), r.TotalSteps.ToString(CultureInfo.InvariantCulture), r.Progress.ToString("0.####", CultureInfo.InvariantCulture),
                Time(r.CreatedAt), Time(r.StartedAt), Time(r.FinishedAt)));
            foreach (var m in metrics)
            {
                text.Append(row.Metrics.TryGetValue(m, out var s)
                    ? string.Create(CultureInfo.InvariantCulture, $",{s.Last:R},{s.Best:R},{s.BestStep}")
                    : ",,,");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Time(DateTime? t) => t?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "";
}
