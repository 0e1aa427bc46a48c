using System.Text.Json.Nodes;
using Slip.Training;

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

    /// <summary>
    /// A config as dotted key paths and their JSON values. A run config is read through <see cref="RunConfig.FromJson"/>
    /// first, so a config stored flat and one stored in parts compare key for key (<c>optim.learningRate</c>).
    /// </summary>
    public static Dictionary<string, string?> Flatten(string json)
    {
        try
        {
            json = RunConfig.FromJson(json).ToJson();
        }
        catch (FormatException)
        {
            // Not a run config (or one this version cannot read): compared as the JSON it is.
        }

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
}
