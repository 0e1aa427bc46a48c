using System.Reflection;
using System.Text.Json.Serialization;

namespace Slip.Training;

/// <summary>Arithmetic precision of forward and backward passes (<c>optim.precision</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    [JsonStringEnumMemberName("fp32")] Fp32,

    /// <summary>Forward and backward in bfloat16 on fp32 master weights (for GPUs and CPUs with bf16 units).</summary>
    [JsonStringEnumMemberName("bf16")] Bf16,
}

/// <summary>The caption tokenizers a run can use (<c>text.tokenizer</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Tokenizer>))]
public enum Tokenizer
{
    /// <summary>The built-in byte-level tokenizer (vocabulary 259); needs no file.</summary>
    [JsonStringEnumMemberName("byte")] Byte,

    /// <summary>CLIP's BPE (vocabulary 49,408, built in; the default).</summary>
    [JsonStringEnumMemberName("clip-bpe")] ClipBpe,
}

/// <summary>What a caption longer than the context keeps (<c>text.truncation</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Truncation>))]
public enum Truncation
{
    /// <summary>open_clip's rule (and OpenAI's truncate=True): the last kept token is end-of-text, so pooling finds it.</summary>
    [JsonStringEnumMemberName("open_clip")] OpenClip,

    /// <summary>
    /// The released SLIP code's rule: the row is cut to its first tokens, so a caption over context - 2 tokens loses its
    /// end-of-text token and pooling lands on the start token; reproduces released checkpoints' embeddings.
    /// </summary>
    [JsonStringEnumMemberName("reference")] Reference,
}

/// <summary>The names a closed set's members have in JSON, on the command line and in the dashboard.</summary>
public static class EnumNames
{
    /// <summary>The member's JSON name: its <see cref="JsonStringEnumMemberNameAttribute"/>, or its C# name.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Of(typeof(T), value.ToString());

    /// <summary>The JSON name of the member of <paramref name="type"/> whose C# name is <paramref name="member"/>.</summary>
    public static string Of(Type type, string member) =>
        type.GetField(member)?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? member;

    /// <summary>Every member's JSON name, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => All(typeof(T));

    /// <summary>Every JSON name of an enum type, in declaration order.</summary>
    public static IReadOnlyList<string> All(Type type) => Enum.GetNames(type).Select(n => Of(type, n)).ToList();

    /// <summary>The member a JSON name (or C# name, either case) stands for.</summary>
    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum
    {
        var member = Find(typeof(T), name);
        value = member is null ? default : Enum.Parse<T>(member);
        return member is not null;
    }

    /// <summary>The C# name of the member of <paramref name="type"/> a JSON name (or C# name, either case) stands for, or null.</summary>
    public static string? Find(Type type, string? name) =>
        Enum.GetNames(type).FirstOrDefault(n => string.Equals(Of(type, n), name, StringComparison.OrdinalIgnoreCase) || string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Marks a closed set's member with the type that implements it, so the enum itself is the registry.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ImplementedByAttribute(Type type) : Attribute
{
    public Type Type { get; } = type;
}

/// <summary>One instance of each member's <see cref="ImplementedByAttribute"/> type, built once.</summary>
internal static class Implementations<TEnum, TSpec> where TEnum : struct, Enum where TSpec : class
{
    private static readonly Dictionary<TEnum, TSpec> Instances = Enum.GetValues<TEnum>().ToDictionary(
        v => v,
        v => (TSpec)Activator.CreateInstance(typeof(TEnum).GetField(v.ToString())!.GetCustomAttribute<ImplementedByAttribute>()!.Type)!);

    public static TSpec Of(TEnum value) => Instances[value];

    public static IReadOnlyList<TSpec> All { get; } = Enum.GetValues<TEnum>().Select(v => Instances[v]).ToList();
}
