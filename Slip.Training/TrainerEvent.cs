using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slip.Training;

/// <summary>
/// One line of the trainer's JSON-lines event stream (stdout of <c>Slip.Training train</c>): what the worker reads
/// to record progress, metrics, checkpoints and the outcome.
/// </summary>
public sealed record TrainerEvent
{
    public const string Started = "started";
    public const string Progress = "progress";
    public const string Metrics = "metrics";
    public const string Checkpoint = "checkpoint";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public required string Type { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public double Epoch { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, double>? Values { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Path { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Bytes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sha256 { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses one line; returns null for lines that are not events (stray native library output).</summary>
    public static TrainerEvent? TryParse(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || line[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<TrainerEvent>(line, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
