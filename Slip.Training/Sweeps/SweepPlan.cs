using System.Text.Json.Nodes;

namespace Slip.Training.Sweeps;

/// <summary>One run of a sweep: its combination of grid values, its seed, its arm and its complete config.</summary>
public sealed record PlannedRun(int Index, IReadOnlyDictionary<string, JsonNode?> Values, int Seed, string Arm, RunConfig Config)
{
    /// <summary>The combination without the seed: runs that differ only in seed share it.</summary>
    public string Point => string.Join(", ", Values.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}"));
}

/// <summary>
/// A sweep expanded into its runs, each config built by the one cascade (a grid over <c>objective</c> gives each
/// objective its own recipe unless the grid also sets the recipe's keys) and validated; or why it cannot run. Errors
/// are keyed <c>name</c>, <c>base</c>, <c>base.KEY</c>, <c>grid</c>, <c>grid.KEY</c>, <c>seeds</c>, <c>arms</c> or
/// <c>runs</c>, so a form can show each on its field. Nothing is queued for a plan with errors.
/// </summary>
public sealed record SweepPlan(IReadOnlyList<PlannedRun> Runs, IReadOnlyList<ConfigError> Errors)
{
    public static SweepPlan Expand(SweepDefinition sweep, IEnumerable<string>? knownDatasets = null)
    {
        var errors = new List<ConfigError>();
        void Add(string field, string message)
        {
            if (!errors.Contains(new ConfigError(field, message)))
            {
                errors.Add(new ConfigError(field, message));
            }
        }

        if (string.IsNullOrWhiteSpace(sweep.Name))
        {
            Add("name", "Name the sweep.");
        }

        JsonObject baseConfig;
        try
        {
            baseConfig = ConfigJson.Normalize(sweep.Base);
        }
        catch (FormatException ex)
        {
            return new SweepPlan([], [.. errors, new ConfigError("base", ex.Message)]);
        }

        var grid = new List<(string Key, JsonNode?[] Values)>();
        if (sweep.Grid.Count == 0)
        {
            Add("grid", "The grid is empty: give at least one config key with the values to try, e.g. {\"optim.learningRate\": [1e-3, 3e-3]}.");
        }

        foreach (var (given, values) in sweep.Grid)
        {
            if (CanonicalKey(given) is not { } key)
            {
                var closest = ConfigKeys.Closest(given);
                Add($"grid.{given}", $"Unknown config key '{given}'." + (closest is null ? "" : $" Did you mean '{closest}'?"));
            }
            else if (key == ConfigKeys.Of(c => c.Seed))
            {
                Add($"grid.{given}", "Seeds are swept with \"seeds\": [0, 1, 2], not in the grid.");
            }
            else if (values is null || values.Count == 0)
            {
                Add($"grid.{key}", $"'{key}' has no values to try.");
            }
            else
            {
                grid.Add((key, values.Select(v => v?.DeepClone()).ToArray()));
            }
        }

        if (sweep.Select.Split is not ("val" or "test"))
        {
            Add("select.split", $"Select on \"val\" (the validation split; results are then reported on test) or \"test\", not \"{sweep.Select.Split}\".");
        }

        if (sweep.Seeds.Count == 0 || sweep.Seeds.Distinct().Count() != sweep.Seeds.Count)
        {
            Add("seeds", "Give one or more distinct seeds, e.g. [0, 1, 2].");
        }

        var arms = sweep.Arms.Select(a => (Given: a, Key: CanonicalKey(a))).ToList();
        foreach (var (given, _) in arms.Where(a => a.Key is null))
        {
            Add("arms", $"Unknown config key '{given}' among the arms.");
        }

        var points = Combinations(grid);
        if (sweep.Random is { } random)
        {
            if (random.Budget < 1 || random.Budget > points.Count)
            {
                Add("random", $"A random search draws 1 to {points.Count} of the grid's {points.Count} combinations, not {random.Budget}.");
            }
            else
            {
                var rng = new Random(random.Seed);
                points = [.. points.OrderBy(_ => rng.Next()).Take(random.Budget)];
            }
        }

        var count = points.Count * sweep.Seeds.Count;
        if (count > SweepDefinition.ConfirmAbove && !sweep.Confirm)
        {
            Add("runs", $"This sweep is {count} runs, more than {SweepDefinition.ConfirmAbove}: confirm it (\"confirm\": true) or narrow the grid.");
        }

        if (errors.Count > 0)
        {
            return new SweepPlan([], errors);
        }

        var runs = new List<PlannedRun>();
        foreach (var point in points)
        {
            foreach (var seed in sweep.Seeds)
            {
                var changes = new JsonObject();
                foreach (var (key, value) in point)
                {
                    ConfigJson.Set(changes, key, value?.DeepClone());
                }

                ConfigJson.Set(changes, ConfigKeys.Of(c => c.Seed), seed);
                if (sweep.Select.Split == "val" && !ConfigJson.TryGet(baseConfig, ConfigKeys.Of(c => c.Eval.Validate), out _))
                {
                    // Selecting on validation needs it measured: each run also evaluates on the validation split.
                    ConfigJson.Set(changes, ConfigKeys.Of(c => c.Eval.Validate), true);
                }
                RunConfig config;
                try
                {
                    config = ConfigCascade.Resolve(ConfigCascade.Change(baseConfig, changes));
                }
                catch (FormatException ex)
                {
                    Add(Culprit(baseConfig, point), ex.Message);
                    continue;
                }

                foreach (var error in config.Validate(knownDatasets))
                {
                    Add(point.ContainsKey(error.Field) ? $"grid.{error.Field}" : $"base.{error.Field}", $"{error.Message} ({Describe(point)})");
                }

                var arm = string.Join(", ", arms.Select(a => $"{a.Key}={Text(ConfigKeys.Value(config, a.Key!))}"));
                runs.Add(new PlannedRun(runs.Count, point, seed, arm, config));
            }
        }

        return errors.Count > 0 ? new SweepPlan([], errors) : new SweepPlan(runs, []);
    }

    /// <summary>The canonical dotted key for a key given nested-or-flat (<c>learningRate</c> is <c>optim.learningRate</c>), or null.</summary>
    public static string? CanonicalKey(string given)
    {
        try
        {
            var probe = ConfigJson.Normalize(new JsonObject { [given] = null });
            return ConfigJson.Flatten(probe).Keys.SingleOrDefault();
        }
        catch (FormatException)
        {
            return ConfigKeys.Find(given);
        }
    }

    private static List<Dictionary<string, JsonNode?>> Combinations(List<(string Key, JsonNode?[] Values)> grid)
    {
        var points = new List<Dictionary<string, JsonNode?>> { new() };
        foreach (var (key, values) in grid)
        {
            points = [.. points.SelectMany(p => values.Select(v => new Dictionary<string, JsonNode?>(p) { [key] = v }))];
        }

        return grid.Count == 0 ? [] : points;
    }

    /// <summary>The field a config that cannot be read belongs to: the first grid key whose value alone breaks the base, else the base.</summary>
    private static string Culprit(JsonObject baseConfig, Dictionary<string, JsonNode?> point)
    {
        foreach (var (key, value) in point)
        {
            var alone = new JsonObject();
            ConfigJson.Set(alone, key, value?.DeepClone());
            try
            {
                ConfigCascade.Resolve(ConfigCascade.Change(baseConfig, alone));
            }
            catch (FormatException)
            {
                return $"grid.{key}";
            }
        }

        return "base";
    }

    private static string Describe(Dictionary<string, JsonNode?> point) => string.Join(", ", point.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}"));

    private static string Text(object? value) => value switch
    {
        null => "null",
        Enum e => EnumNames.Of(e.GetType(), e.ToString()),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
