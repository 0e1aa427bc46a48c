using System.Text.Json.Nodes;
using Slip.Training.Datasets;
using Slip.Training.Objectives;
using Slip.Training.Ssl;

namespace Slip.Training;

/// <summary>
/// The one place defaults are applied, in order: the model preset, the objective's recipe, the SSL method's defaults,
/// the tokenizer's vocabulary, then the user's values. The CLI, the API, the New Run form and clones all build configs
/// here, so a knob means the same thing wherever it is set.
/// </summary>
public static class ConfigCascade
{
    /// <summary>
    /// One level of the cascade: the key that chooses it, the values it can take, the defaults each brings, and keys it
    /// decides without a default of its own (<paramref name="Also"/>: a dataset's source and size).
    /// </summary>
    private sealed record Level(string Key, IReadOnlyList<string> Values, Func<RunConfig, string, RunConfig> Apply, IReadOnlyList<string>? Also = null);

    private static readonly Level[] Levels =
    [
        new(ConfigKeys.Of(c => c.Model), ModelPresets.Names, (c, preset) => c.WithModelPreset(preset)),
        new(ConfigKeys.Of(c => c.Objective), EnumNames.All<Objective>(), (c, name) => ObjectiveRegistry.Of(Parse<Objective>(name, "objective")).WithRecipe(c)),
        new(ConfigKeys.Of(c => c.Ssl.Method), EnumNames.All<SslMethod>(), (c, name) => c with { Ssl = SslMethods.Of(Parse<SslMethod>(name, "SSL method")).WithDefaults(c.Ssl) }),
        new(ConfigKeys.Of(c => c.Text.Tokenizer), EnumNames.All<Tokenizer>(), (c, name) => Parse<Tokenizer>(name, "tokenizer") == Tokenizer.ClipBpe
            ? c with { Text = c.Text with { Tokenizer = Tokenizer.ClipBpe, VocabSize = ClipBpeTokenizer.VocabSize } }
            : c with { Text = c.Text with { Tokenizer = Tokenizer.Byte, VocabSize = ByteTokenizer.VocabSize } }),

        // Another dataset by name: the source and epoch size given for the earlier one no longer hold (a registered
        // dataset's are filled in again at launch).
        new(ConfigKeys.Of(c => c.Data.Dataset), [], (c, name) => c with { Data = c.Data with { Dataset = name } },
            [ConfigKeys.Of(c => c.Data.Source), ConfigKeys.Of(c => c.Data.EpochSamples)]),
    ];

    private static readonly Lazy<Dictionary<string, IReadOnlySet<string>>> DependentKeys = new(() => Levels.ToDictionary(l => l.Key, DependentsOf));

    /// <summary>The keys that choose defaults for others (model, objective, ssl.method, text.tokenizer, data.dataset).</summary>
    public static IReadOnlyList<string> Roots { get; } = Levels.Select(l => l.Key).ToList();

    /// <summary>The keys whose defaults a root key chooses: changing the root resets them unless they are changed too.</summary>
    public static IReadOnlySet<string> Dependents(string root) => DependentKeys.Value.TryGetValue(root, out var keys) ? keys : new HashSet<string>();

    /// <summary>
    /// The config a user means by <paramref name="given"/> (canonical, see <see cref="ConfigJson.Normalize"/>): every
    /// level's defaults in order, chosen by the given roots or their defaults, then the given values on top.
    /// </summary>
    public static RunConfig Resolve(JsonObject given)
    {
        var config = new RunConfig();
        var baseline = ConfigJson.ToNode(config);
        foreach (var level in Levels)
        {
            var source = ConfigJson.TryGet(given, level.Key, out var value) && value is not null ? value : ConfigJson.TryGet(baseline, level.Key, out var fallback) ? fallback : null;
            try
            {
                config = level.Apply(config, Text(source, level.Key));
            }
            catch (ArgumentException ex)
            {
                throw new FormatException(ex.Message, ex);
            }
        }

        var merged = ConfigJson.ToNode(config);
        foreach (var (key, value) in ConfigJson.Flatten(given))
        {
            // Null stands for "the default" for a key that cannot be empty, as it does in Change.
            if (value is not null || ConfigKeys.IsNullable(key))
            {
                ConfigJson.Set(merged, key, value?.DeepClone());
            }
        }

        return ConfigJson.FromNode(merged);
    }

    /// <summary>
    /// <paramref name="given"/> with <paramref name="changes"/> applied (both canonical): a changed root key drops the
    /// values it chooses defaults for, unless they are changed too; a key changed to null is dropped, taking its default.
    /// </summary>
    public static JsonObject Change(JsonObject given, JsonObject changes)
    {
        var result = (JsonObject)given.DeepClone();
        var changed = ConfigJson.Flatten(changes);
        var rootChanged = false;
        foreach (var root in Roots)
        {
            if (changed.TryGetValue(root, out var next) && !(ConfigJson.TryGet(given, root, out var before) && JsonNode.DeepEquals(before, next)))
            {
                rootChanged = true;
                foreach (var dependent in Dependents(root).Where(k => !changed.ContainsKey(k)))
                {
                    ConfigJson.Remove(result, dependent);
                }
            }
        }

        foreach (var (key, value) in changed)
        {
            if (value is null)
            {
                ConfigJson.Remove(result, key);
            }
            else if (value is JsonObject patch && ConfigJson.TryGet(result, key, out var before) && before is JsonObject existing)
            {
                // An object value (the dataset source) takes the changes as a merge patch: {"path": ...} keeps its format.
                var merged = (JsonObject)existing.DeepClone();
                MergePatch(merged, patch);
                ConfigJson.Set(result, key, merged);
            }
            else
            {
                ConfigJson.Set(result, key, value.DeepClone());
            }
        }

        if (rootChanged)
        {
            DropWhatNoLongerApplies(result, changed);
        }

        return result;
    }

    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            var existing = target.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
            if (value is null)
            {
                target.Remove(existing);
            }
            else
            {
                target[existing] = value.DeepClone();
            }
        }
    }

    /// <summary>
    /// Values given earlier for knobs the changed objective or SSL method does not read are kept (switching back finds
    /// them again), unless they make the config invalid where the user cannot fix it (an SSL method once the objective
    /// is CLIP, whose form field is greyed out): those go back to their defaults.
    /// </summary>
    private static void DropWhatNoLongerApplies(JsonObject given, Dictionary<string, JsonNode?> changed)
    {
        RunConfig config;
        try
        {
            config = Resolve(given);
        }
        catch (FormatException)
        {
            return;   // Resolve will say what is wrong when the config is used.
        }

        var blocking = config.Validate().Select(e => e.Field).Where(k => !changed.ContainsKey(k) && !config.Spec.Applies(k, config)).ToHashSet();
        foreach (var key in ConfigJson.Flatten(given).Keys.Where(blocking.Contains))
        {
            ConfigJson.Remove(given, key);
        }
    }

    /// <summary>A clone of <paramref name="parent"/> with <paramref name="changes"/> (nested or flat keys), through the cascade.</summary>
    public static RunConfig Derive(RunConfig parent, JsonObject changes) => Resolve(Change(ConfigJson.ToNode(parent), ConfigJson.Normalize(changes)));

    /// <summary>
    /// The keys a level sets: those whose value it changes, applied with each of its values to the defaults and to a
    /// config whose every number differs from the defaults (so a default the level sets again is found too).
    /// </summary>
    private static IReadOnlySet<string> DependentsOf(Level level)
    {
        var keys = new HashSet<string>(level.Also ?? [], StringComparer.Ordinal);
        foreach (var start in new[] { new RunConfig(), Perturbed() })
        {
            var before = ConfigJson.Flatten(ConfigJson.ToNode(start));
            foreach (var value in level.Values)
            {
                foreach (var (key, after) in ConfigJson.Flatten(ConfigJson.ToNode(level.Apply(start, value))))
                {
                    if (key != level.Key && !JsonNode.DeepEquals(after, before.GetValueOrDefault(key)))
                    {
                        keys.Add(key);
                    }
                }
            }
        }

        return keys;
    }

    /// <summary>The default config with every number changed (doubled plus one).</summary>
    private static RunConfig Perturbed()
    {
        var node = ConfigJson.ToNode(new RunConfig());
        foreach (var (key, value) in ConfigJson.Flatten(node))
        {
            if (value is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number)
            {
                ConfigJson.Set(node, key, JsonValue.Create((number.GetValue<double>() * 2) + 1));
            }
        }

        return ConfigJson.FromNode(node);
    }

    private static string Text(JsonNode? node, string key)
    {
        try
        {
            return node?.GetValue<string>() ?? throw new FormatException($"The config key '{key}' has a value of the wrong type: it needs a name.");
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"The config key '{key}' has a value of the wrong type: it needs a name, not {node!.ToJsonString()}.", ex);
        }
    }

    private static T Parse<T>(string name, string what) where T : struct, Enum =>
        EnumNames.TryParse<T>(name, out var value) ? value : throw new FormatException($"Unknown {what} '{name}'. Known: {string.Join(", ", EnumNames.All<T>())}.");
}
