using System.Text.Json;
using System.Text.Json.Serialization;
using Slip.Training.Objectives;

namespace Slip.Training;

/// <summary>
/// What a run trains: objective, model shape, data and recipe, in nested parts that read well as JSON. Immutable,
/// validated before launch, stored as JSON with the run and beside every checkpoint. Configs are built from what a user
/// gives through <see cref="ConfigCascade"/>: preset, objective recipe, SSL method, then the user's values.
/// </summary>
public sealed partial record RunConfig
{
    public Objective Objective { get; init; } = Objective.Slip;

    /// <summary>Name of the model preset the shape came from (Tiny, Small, ViT-S/16, ...); informational once expanded.</summary>
    public string Model { get; init; } = "Tiny";

    public int Seed { get; init; }

    /// <summary>A metrics line every this many optimizer steps (and at the end of each epoch).</summary>
    public int LogEvery { get; init; } = 2;

    public VisionConfig Vision { get; init; } = new();
    public TextConfig Text { get; init; } = new();
    public OptimConfig Optim { get; init; } = new();
    public DataConfig Data { get; init; } = new();
    public SslConfig Ssl { get; init; } = new();
    public EvalConfig Eval { get; init; } = new();
    public CheckpointConfig Checkpoints { get; init; } = new();

    /// <summary>What this run's objective is, builds and needs.</summary>
    [JsonIgnore]
    public ObjectiveSpec Spec => ObjectiveRegistry.Of(Objective);

    /// <summary>What a user calls this run's objective: "CLIP", "SimCLR", "SLIP", "MoCo v3", "SLIP (BYOL)", ...</summary>
    [JsonIgnore]
    public string ObjectiveLabel => Spec.Label(Ssl.Method);

    /// <summary>How configs are written and read: camelCase keys, nested parts, enums by their JSON names.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// Parses a config a user wrote or one that was stored: nested, or flat as configs were stored before the parts
    /// existed. Fields it leaves out take the cascade's defaults (<see cref="ConfigCascade.Resolve"/>). Throws
    /// <see cref="FormatException"/> with the reason when the text is not a valid config, naming unknown keys.
    /// </summary>
    public static RunConfig FromJson(string json) => ConfigCascade.Resolve(ConfigJson.Parse(json));
}

/// <summary>One validation problem: the config key it concerns (a dotted JSON path such as <c>optim.learningRate</c>) and a message for the user.</summary>
public sealed record ConfigError(string Field, string Message);
