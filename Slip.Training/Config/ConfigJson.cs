using System.Text.Json;
using System.Text.Json.Nodes;
using Slip.Training.Datasets.Sources;

namespace Slip.Training;

/// <summary>
/// Reads what a user or the store gives as a config into one canonical shape: a JSON object of parts keyed by
/// <see cref="ConfigKeys"/>, whatever the case of its keys, and with the flat keys configs were stored with before the
/// parts existed (<c>learningRate</c>, <c>visionWidth</c>, <c>data</c> as the dataset source, ...) moved to their parts.
/// Unknown keys are refused by name, so a typo never passes silently.
/// </summary>
public static class ConfigJson
{
    /// <summary>The flat keys of configs stored before the parts existed, and where each lives now.</summary>
    private static readonly Dictionary<string, string> FlatKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["dataset"] = "data.dataset",
        ["data"] = "data.source",
        ["epochSamples"] = "data.epochSamples",
        ["zeroShotEvery"] = "eval.zeroShotEvery",
        ["probeAtEnd"] = "eval.probeAtEnd",
        ["evaluateAtEnd"] = "eval.tasksAtEnd",
        ["evalSamples"] = "eval.samples",
        ["keepLastCheckpoints"] = "checkpoints.keepLast",
        ["keepEveryCheckpoints"] = "checkpoints.keepEvery",
        ["keepBestCheckpoint"] = "checkpoints.keepBest",
        ["epochs"] = "optim.epochs",
        ["batchSize"] = "optim.batchSize",
        ["learningRate"] = "optim.learningRate",
        ["weightDecay"] = "optim.weightDecay",
        ["warmupEpochs"] = "optim.warmupEpochs",
        ["learningRateStart"] = "optim.learningRateStart",
        ["learningRateEnd"] = "optim.learningRateEnd",
        ["updateFreq"] = "optim.updateFreq",
        ["precision"] = "optim.precision",
        ["gradClipNorm"] = "optim.gradClipNorm",
        ["sslScale"] = "ssl.scale",
        ["sslTemperature"] = "ssl.temperature",
        ["sslMethod"] = "ssl.method",
        ["sslMomentum"] = "ssl.momentum",
        ["maskRatio"] = "ssl.maskRatio",
        ["sslMlpDim"] = "ssl.mlpDim",
        ["sslEmbedDim"] = "ssl.embedDim",
        ["imageSize"] = "vision.imageSize",
        ["patchSize"] = "vision.patchSize",
        ["visionWidth"] = "vision.width",
        ["visionDepth"] = "vision.depth",
        ["visionHeads"] = "vision.heads",
        ["textWidth"] = "text.width",
        ["textLayers"] = "text.layers",
        ["textHeads"] = "text.heads",
        ["contextLength"] = "text.contextLength",
        ["vocabSize"] = "text.vocabSize",
        ["tokenizer"] = "text.tokenizer",
        ["embedDim"] = "text.embedDim",
    };

    /// <summary>Parses config text into the canonical shape; throws <see cref="FormatException"/> with the reason.</summary>
    public static JsonObject Parse(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The run config is not valid JSON: {ex.Message}", ex);
        }

        return Normalize(node as JsonObject ?? throw new FormatException("The run config must be a JSON object."));
    }

    /// <summary>
    /// The canonical shape of <paramref name="given"/> (a new object). Flat keys are applied after the parts, so a
    /// flat change on top of a nested config wins.
    /// </summary>
    public static JsonObject Normalize(JsonObject given)
    {
        var result = new JsonObject();
        var flat = new List<(string Key, JsonNode? Value)>();
        foreach (var (key, value) in given)
        {
            var part = ConfigKeys.Parts.FirstOrDefault(p => string.Equals(p, key, StringComparison.OrdinalIgnoreCase));
            if (part is not null && !(part == "data" && IsDatasetSource(value)))
            {
                if (value is not JsonObject members)
                {
                    throw new FormatException($"The config key '{part}' must be an object of {part} settings (for example {{\"{part}\": {{...}}}}).");
                }

                foreach (var (member, memberValue) in members)
                {
                    Set(result, Known($"{part}.{member}"), memberValue?.DeepClone());
                }
            }
            else if (ConfigKeys.Find(key) is { } top)
            {
                Set(result, top, value?.DeepClone());
            }
            else if (FlatKeys.TryGetValue(key, out var moved))
            {
                flat.Add((moved, value?.DeepClone()));
            }
            else
            {
                throw Unknown(key);
            }
        }

        foreach (var (key, value) in flat)
        {
            Set(result, key, value);
        }

        Canonicalise(result);
        return result;
    }

    /// <summary>
    /// Enum values by their JSON names whatever the spelling (<c>"slip"</c>, <c>"MoCoV3"</c>, <c>"ClipBpe"</c>), so that
    /// equal values compare equal; and the dataset source's keys checked, as every other key is.
    /// </summary>
    private static void Canonicalise(JsonObject config)
    {
        foreach (var (key, type) in ConfigKeys.All)
        {
            if (!TryGet(config, key, out var value) || value is null)
            {
                continue;
            }

            var enumType = Nullable.GetUnderlyingType(type) ?? type;
            if (enumType.IsEnum && value is JsonValue text && text.TryGetValue<string>(out var name) && EnumNames.Find(enumType, name) is { } member)
            {
                Set(config, key, JsonValue.Create(EnumNames.Of(enumType, member)));
            }

            if (type == typeof(DatasetSource) && value is JsonObject source)
            {
                var known = typeof(DatasetSource).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToList();
                if (source.Select(kv => kv.Key).FirstOrDefault(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } unknown)
                {
                    throw new FormatException(
                        $"Unknown key '{unknown}' in the dataset source ({key}). Its keys are {string.Join(", ", known.Select(k => JsonNamingPolicy.CamelCase.ConvertName(k)))}; the dataset's name goes in data.dataset.");
                }
            }
        }
    }

    /// <summary>A config's leaf values by key (dotted paths).</summary>
    public static Dictionary<string, JsonNode?> Flatten(JsonObject config)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var key in ConfigKeys.All.Keys)
        {
            if (TryGet(config, key, out var value))
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>The value at a key, when the object holds it (null is a value).</summary>
    public static bool TryGet(JsonObject config, string key, out JsonNode? value)
    {
        value = null;
        JsonNode? node = config;
        foreach (var name in key.Split('.'))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(name, out node))
            {
                return false;
            }
        }

        value = node;
        return true;
    }

    /// <summary>Sets the value at a key, creating its part when missing.</summary>
    public static void Set(JsonObject config, string key, JsonNode? value)
    {
        var names = key.Split('.');
        var target = config;
        foreach (var name in names[..^1])
        {
            if (target[name] is not JsonObject next)
            {
                target[name] = next = new JsonObject();
            }

            target = next;
        }

        target[names[^1]] = value;
    }

    /// <summary>Removes a key, so it takes the cascade's default.</summary>
    public static void Remove(JsonObject config, string key)
    {
        var names = key.Split('.');
        var target = config;
        foreach (var name in names[..^1])
        {
            if (target[name] is not JsonObject next)
            {
                return;
            }

            target = next;
        }

        target.Remove(names[^1]);
    }

    /// <summary>A config as a canonical JSON object.</summary>
    public static JsonObject ToNode(RunConfig config) => JsonSerializer.SerializeToNode(config, RunConfig.JsonOptions)!.AsObject();

    /// <summary>A config from a canonical JSON object; wrong types are reported with their key.</summary>
    public static RunConfig FromNode(JsonObject node)
    {
        try
        {
            return node.Deserialize<RunConfig>(RunConfig.JsonOptions) ?? throw new FormatException("The run config is empty.");
        }
        catch (JsonException ex)
        {
            var key = ex.Path?.TrimStart('$', '.');
            throw new FormatException(
                string.IsNullOrEmpty(key) ? $"The run config is not valid JSON: {ex.Message}" : $"The run config is not valid JSON: '{key}' has a value of the wrong type ({Describe(key)}).", ex);
        }
    }

    private static string Describe(string key)
    {
        var type = ConfigKeys.All.GetValueOrDefault(key);
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            null => "see the README",
            { IsEnum: true } => "one of " + string.Join(", ", EnumNames.All(type)),
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(string) => "a string",
            _ => "an object",
        };
    }

    // A flat config's "data" was the dataset source ({"format": ..., "path": ...}, or null); the data part has neither key.
    private static bool IsDatasetSource(JsonNode? value) =>
        value is null || value is JsonObject obj && obj.Any(kv => kv.Key.Equals("format", StringComparison.OrdinalIgnoreCase) || kv.Key.Equals("path", StringComparison.OrdinalIgnoreCase));

    private static string Known(string key) => ConfigKeys.Find(key) ?? throw Unknown(key);

    private static FormatException Unknown(string key) => new(
        $"Unknown config key '{key}'." + (ConfigKeys.Closest(key) is { } near ? $" Did you mean '{near}'?" : "")
        + $" Keys are {string.Join(", ", ConfigKeys.All.Keys.Where(k => !k.Contains('.')))} and the parts {string.Join(", ", ConfigKeys.Parts)} (see the README).");
}
