using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slip.Training;

/// <summary>
/// The config's keys as dotted JSON paths (<c>optim.learningRate</c>), derived from <see cref="RunConfig"/> itself: the
/// one naming used by validation errors, the form, clone changes, comparisons and sweeps.
/// </summary>
public static class ConfigKeys
{
    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.CamelCase;

    /// <summary>Every leaf key and the properties that lead to it, in declaration order.</summary>
    private static readonly Dictionary<string, PropertyInfo[]> Paths = Chains(typeof(RunConfig), "", []).ToDictionary(c => c.Key, c => c.Chain);

    /// <summary>Every leaf key and its CLR type, in declaration order (<c>data.source</c> is one leaf).</summary>
    public static IReadOnlyDictionary<string, Type> All { get; } = Paths.ToDictionary(kv => kv.Key, kv => kv.Value[^1].PropertyType);

    private static readonly HashSet<string> NullableKeys = Paths.Where(kv => kv.Value[^1] is var p
            && (Nullable.GetUnderlyingType(p.PropertyType) is not null || (!p.PropertyType.IsValueType && new NullabilityInfoContext().Create(p).WriteState == NullabilityState.Nullable)))
        .Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>The value a config holds at a key (<c>Value(c, "optim.epochs")</c> is <c>c.Optim.Epochs</c>).</summary>
    public static object? Value(RunConfig config, string key)
    {
        object? value = config;
        foreach (var property in Paths.TryGetValue(key, out var chain) ? chain : throw new ArgumentException($"Unknown config key '{key}'.", nameof(key)))
        {
            value = property.GetValue(value);
        }

        return value;
    }

    /// <summary>Whether a key may hold null (gradient clipping off, no dataset source, keep every checkpoint, ...).</summary>
    public static bool IsNullable(string key) => NullableKeys.Contains(key);

    /// <summary>The top-level keys that hold a part (vision, text, optim, data, ssl, eval, checkpoints).</summary>
    public static IReadOnlyList<string> Parts { get; } = Properties(typeof(RunConfig)).Where(p => IsPart(p.PropertyType)).Select(p => Naming.ConvertName(p.Name)).ToList();

    /// <summary>The key of a property: <c>Of(c => c.Optim.LearningRate)</c> is "optim.learningRate".</summary>
    public static string Of<T>(Expression<Func<RunConfig, T>> property)
    {
        var names = new List<string>();
        var node = property.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : property.Body;
        while (node is MemberExpression member)
        {
            names.Add(Naming.ConvertName(member.Member.Name));
            node = member.Expression;
        }

        names.Reverse();
        return string.Join('.', names);
    }

    /// <summary>The known key a user's key means (any case), or null.</summary>
    public static string? Find(string key) => All.Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>The known key closest to a misspelt one, for "did you mean" messages.</summary>
    public static string? Closest(string key)
    {
        var best = All.Keys.Concat(Parts).Select(k => (Key: k, Distance: Math.Min(Distance(key, k), Distance(key, k[(k.LastIndexOf('.') + 1)..]))))
            .MinBy(c => c.Distance);
        return best.Key is not null && best.Distance <= Math.Max(2, key.Length / 3) ? best.Key : null;
    }

    private static IEnumerable<(string Key, PropertyInfo[] Chain)> Chains(Type type, string prefix, PropertyInfo[] above)
    {
        foreach (var property in Properties(type))
        {
            var key = prefix + Naming.ConvertName(property.Name);
            if (IsPart(property.PropertyType))
            {
                foreach (var leaf in Chains(property.PropertyType, key + ".", [.. above, property]))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (key, [.. above, property]);
            }
        }
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null);

    private static bool IsPart(Type type) => type.Name.EndsWith("Config", StringComparison.Ordinal) && type.Namespace == typeof(RunConfig).Namespace;

    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
