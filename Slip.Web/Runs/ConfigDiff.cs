using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slip.Web.Runs;

/// <summary>One config key whose values differ (or, with all keys, one key of both): the JSON path and each side's value as JSON text.</summary>
public sealed record ConfigDifference(string Key, string? Left, string? Right)
{
    public bool Differs => Left != Right;
}

/// <summary>Compares two run configs key by key (nested objects such as the dataset source flattened to dotted paths).</summary>
public static class ConfigDiff
{
    public static IReadOnlyList<ConfigDifference> Compare(string leftJson, string rightJson, bool all = false)
    {
        var left = Flatten(leftJson);
        var right = Flatten(rightJson);
        return left.Keys.Union(right.Keys).Order(StringComparer.Ordinal)
            .Select(k => new ConfigDifference(k, left.GetValueOrDefault(k), right.GetValueOrDefault(k)))
            .Where(d => all || d.Differs)
            .ToList();
    }

    /// <summary>A config as dotted key paths and their JSON values.</summary>
    public static Dictionary<string, string?> Flatten(string json)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        void Walk(JsonNode? node, string path)
        {
            if (node is JsonObject obj)
            {
                foreach (var (key, child) in obj)
                {
                    Walk(child, path.Length == 0 ? key : $"{path}.{key}");
                }
            }
            else
            {
                result[path] = node?.ToJsonString();
            }
        }

        Walk(JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json), "");
        return result;
    }

    /// <summary>
    /// A clone's config: <paramref name="parentJson"/> with <paramref name="changes"/> merged in (JSON merge patch: a key
    /// set to null is removed, so it takes its default).
    /// </summary>
    public static string Merge(string parentJson, JsonElement changes)
    {
        var parent = JsonNode.Parse(parentJson) as JsonObject ?? [];
        Apply(parent, JsonNode.Parse(changes.GetRawText()));
        return parent.ToJsonString();
    }

    private static void Apply(JsonObject target, JsonNode? patch)
    {
        if (patch is not JsonObject changes)
        {
            throw new JsonException("The changes must be a JSON object of config keys and their new values.");
        }

        foreach (var (key, value) in changes)
        {
            // The config's own keys are camelCase; accept "LearningRate" as well as "learningRate".
            var name = target.ContainsKey(key) ? key : target.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) ?? key;
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject nested && target[name] is JsonObject existing)
            {
                Apply(existing, nested);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }
}
