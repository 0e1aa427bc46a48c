using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slip.Training.Sweeps;

/// <summary>
/// A sweep: one base config run over a search of config keys and a list of seeds, each arm's best config chosen on
/// a metric of the validation split. JSON: <c>{"name", "base": {config}, "grid": {"optim.learningRate": [1e-3, 3e-3]},
/// "seeds": [0, 1, 2], "arms": ["objective"], "select": {"metric": "zeroshot_acc1", "split": "val"}, "random":
/// {"budget": 8, "seed": 0}, "confirm": false}</c>. Grid keys are config keys as anywhere else (nested or flat).
/// </summary>
public sealed record SweepDefinition
{
    /// <summary>More runs than this need <see cref="Confirm"/>.</summary>
    public const int ConfirmAbove = 500;

    public string Name { get; init; } = "";

    /// <summary>The config every run starts from (the cascade fills what it leaves out).</summary>
    public JsonObject Base { get; init; } = [];

    /// <summary>Config key to the values it takes; the runs are every combination (or <see cref="Random"/>'s sample of them).</summary>
    public Dictionary<string, JsonArray> Grid { get; init; } = [];

    /// <summary>Each combination runs once per seed (the <c>seed</c> key is set from here, never from the grid).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];

    /// <summary>The keys whose values are compared (each arm gets its own best config), e.g. <c>objective</c>.</summary>
    public IReadOnlyList<string> Arms { get; init; } = ["objective"];

    public SweepSelection Select { get; init; } = new();

    /// <summary>Random search: this many combinations drawn without replacement; null runs the whole grid.</summary>
    public RandomSearch? Random { get; init; }

    /// <summary>
    /// The final evaluation (<c>sweep run</c>): after selection, each arm's best combination is evaluated with this
    /// request on every seed's last checkpoint (the request's checkpoint is filled in), on the test split it names,
    /// and reported as mean ± std. Null: the report is the runs' own test metrics.
    /// </summary>
    public Evaluation.EvalRequest? Report { get; init; }

    /// <summary>Required to queue more than <see cref="ConfirmAbove"/> runs.</summary>
    public bool Confirm { get; init; }

    /// <summary>Reads a sweep file; throws <see cref="FormatException"/> with the reason.</summary>
    public static SweepDefinition FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SweepDefinition>(json, RunConfig.JsonOptions) ?? throw new FormatException("The sweep file is empty (null).");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The sweep is not valid JSON for a sweep: {ex.Message}", ex);
        }
    }
}

/// <summary>What chooses an arm's best config: a metric (higher is better unless <see cref="Minimize"/>) on a split.</summary>
public sealed record SweepSelection
{
    public string Metric { get; init; } = MetricNames.ZeroShotAcc1;

    /// <summary>The split selected on; results are reported on the test split.</summary>
    public string Split { get; init; } = "val";

    public bool Minimize { get; init; }

    /// <summary>The name the selection metric is logged under: on the validation split, <c>val_</c> + <see cref="Metric"/>.</summary>
    public string LoggedMetric => Split == "val" ? MetricNames.ValidationPrefix + Metric : Metric;
}

/// <summary>Random search over the grid's combinations.</summary>
public sealed record RandomSearch(int Budget, int Seed = 0);
