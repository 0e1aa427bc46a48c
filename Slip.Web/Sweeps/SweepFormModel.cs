using System.Text.Json;
using System.Text.Json.Nodes;
using Slip.Training;
using Slip.Training.Sweeps;

namespace Slip.Web.Sweeps;

/// <summary>One row of the sweep form's grid: a config key and the values to try, comma-separated.</summary>
public sealed class GridRow
{
    public string Key { get; set; } = "";

    /// <summary>Comma-separated; each is read as JSON (<c>3e-3</c>, <c>true</c>, <c>"a,b"</c>) or else as text (<c>clip</c>).</summary>
    public string Values { get; set; } = "";
}

/// <summary>
/// The sweep form's own fields (the base config comes from the New Run form): it builds a <see cref="SweepDefinition"/>
/// and holds the problems with it by field (<c>name</c>, <c>grid.KEY</c>, <c>seeds</c>, ..., as the API names them).
/// </summary>
public sealed class SweepFormModel
{
    public string Name { get; set; } = "";

    public List<GridRow> Grid { get; } =
    [
        new() { Key = ConfigKeys.Of(c => c.Objective), Values = "clip, slip" },
        new() { Key = ConfigKeys.Of(c => c.Optim.LearningRate), Values = "5e-4, 3e-3" },
    ];

    public string Seeds { get; set; } = "0, 1, 2";

    public string Arms { get; set; } = ConfigKeys.Of(c => c.Objective);

    public string SelectMetric { get; set; } = MetricNames.ZeroShotAcc1;

    public string SelectSplit { get; set; } = "val";

    public bool Minimize { get; set; }

    /// <summary>Random search: this many combinations; null or 0 runs the whole grid.</summary>
    public int? RandomBudget { get; set; }

    public bool Confirm { get; set; }

    /// <summary>The problems from the last <see cref="Build"/> or launch, by field.</summary>
    public IReadOnlyList<ConfigError> Errors { get; set; } = [];

    public string? ErrorOf(string field) => Errors.FirstOrDefault(e => e.Field == field)?.Message;

    /// <summary>The error of a grid row (its key as given or canonical).</summary>
    public string? ErrorOf(GridRow row) => ErrorOf($"grid.{row.Key}") ?? (SweepPlan.CanonicalKey(row.Key) is { } key ? ErrorOf($"grid.{key}") : null);

    /// <summary>How many runs the form stands for (combinations x seeds), before validation.</summary>
    public int PlannedRuns
    {
        get
        {
            var combinations = Grid.Where(r => r.Key.Length > 0).Aggregate(1L, (n, r) => n * Math.Max(1, Split(r.Values).Count));
            if (RandomBudget is > 0 and var budget)
            {
                combinations = Math.Min(combinations, budget);
            }

            return (int)Math.Min(int.MaxValue, combinations * Math.Max(1, Split(Seeds).Count));
        }
    }

    /// <summary>The sweep over <paramref name="baseConfig"/>, or null with <see cref="Errors"/> set to what stops it being read.</summary>
    public SweepDefinition? Build(JsonObject baseConfig)
    {
        var errors = new List<ConfigError>();
        var grid = new Dictionary<string, JsonArray>();
        foreach (var row in Grid.Where(r => r.Key.Trim().Length > 0 || r.Values.Trim().Length > 0))
        {
            if (row.Key.Trim().Length == 0)
            {
                errors.Add(new ConfigError("grid", $"Name the config key for the values '{row.Values}'."));
            }
            else if (!grid.TryAdd(row.Key.Trim(), new JsonArray([.. Split(row.Values).Select(Value)])))
            {
                errors.Add(new ConfigError($"grid.{row.Key.Trim()}", $"'{row.Key.Trim()}' is in the grid twice."));
            }
        }

        var seeds = new List<int>();
        foreach (var seed in Split(Seeds))
        {
            if (int.TryParse(seed, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                seeds.Add(n);
            }
            else
            {
                errors.Add(new ConfigError("seeds", $"'{seed}' is not a whole number: give the seeds as 0, 1, 2."));
            }
        }

        Errors = errors;
        return errors.Count > 0 ? null : new SweepDefinition
        {
            Name = Name.Trim(),
            Base = baseConfig,
            Grid = grid,
            Seeds = seeds,
            Arms = Split(Arms),
            Select = new SweepSelection { Metric = SelectMetric.Trim(), Split = SelectSplit, Minimize = Minimize },
            Random = RandomBudget is > 0 and var budget ? new RandomSearch(budget) : null,
            Confirm = Confirm,
        };
    }

    /// <summary>Comma-separated items, trimmed; commas inside double quotes do not split.</summary>
    public static List<string> Split(string text)
    {
        var items = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }

            if (c == ',' && !quoted)
            {
                items.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        items.Add(current.ToString().Trim());
        return items.Where(i => i.Length > 0).ToList();
    }

    /// <summary>A grid value as typed: JSON when it reads as JSON (numbers, true, "quoted"), else the text itself.</summary>
    public static JsonNode? Value(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
