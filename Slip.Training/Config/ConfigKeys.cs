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

    /// <summary>Every leaf key and its CLR type, in declaration order (<c>data.source</c> is one leaf).</summary>
    public static IReadOnlyDictionary<string, Type> All { get; } = Walk(typeof(RunConfig), "").ToDictionary(kv => kv.Key, kv => kv.Value);

    private static readonly HashSet<string> NullableKeys = WalkProperties(typeof(RunConfig), "")
        .Where(p => Nullable.GetUnderlyingType(p.Property.PropertyType) is not null
            || (!p.Property.PropertyType.IsValueType && new NullabilityInfoContext().Create(p.Property).WriteState == NullabilityState.Nullable))
        .Select(p => p.Key).ToHashSet(StringComparer.Ordinal);

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

    private static IEnumerable<KeyValuePair<string, Type>> Walk(Type type, string prefix) =>
        WalkProperties(type, prefix).Select(p => new KeyValuePair<string, Type>(p.Key, p.Property.PropertyType));

    private static IEnumerable<(string Key, PropertyInfo Property)> WalkProperties(Type type, string prefix)
    {
        foreach (var property in Properties(type))
        {
            var key = prefix + Naming.ConvertName(property.Name);
            if (IsPart(property.PropertyType))
            {
                foreach (var leaf in WalkProperties(property.PropertyType, key + "."))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (key, property);
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
