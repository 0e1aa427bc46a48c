using System.Text.Json.Nodes;
using Slip.Training;

namespace Slip.Web.Components.Shared;

/// <summary>
/// The New Run form's state: what the user (or the cloned run) gave, as config keys and values, and the config the
/// cascade makes of it (<see cref="ConfigCascade"/>, the same function the CLI and the API use). Fields bind by config
/// key, so the form holds no copy of the config's fields and its errors use the config's key names.
/// </summary>
public sealed class RunFormModel
{
    private JsonObject given;
    private IReadOnlyList<string>? datasets;

    /// <summary>A fresh form: nothing given, so exactly the config <c>{}</c> gives everywhere.</summary>
    public RunFormModel() : this([])
    {
    }

    private RunFormModel(JsonObject given)
    {
        this.given = given;
        Config = ConfigCascade.Resolve(given);
    }

    /// <summary>A form filled from an existing run's config, for cloning it with a knob changed.</summary>
    public static RunFormModel FromConfig(RunConfig config) => new(ConfigJson.ToNode(config));

    public string? Name { get; set; }

    /// <summary>What the user (or the cloned run) set, as config keys: the config is the cascade of exactly this.</summary>
    public JsonObject Given => given.DeepClone().AsObject();

    /// <summary>The config the form currently stands for.</summary>
    public RunConfig Config { get; private set; }

    /// <summary>The problems with <see cref="Config"/> and the name, from the last <see cref="Validate"/>.</summary>
    public IReadOnlyList<ConfigError> Errors { get; private set; } = [];

    /// <summary>The keys that have a field of their own on the form (the others' errors are listed under it).</summary>
    public HashSet<string> FieldKeys { get; } = ["Name"];

    /// <summary>Shows problems found elsewhere (the server, after a launch attempt) as the form's own.</summary>
    public void ShowErrors(IReadOnlyList<ConfigError> errors) => Errors = errors;

    /// <summary>The current value at a config key.</summary>
    public object? Value(string key) => ConfigKeys.Value(Config, key);

    /// <summary>Whether a key means anything for the chosen objective and SSL method (others are greyed out).</summary>
    public bool Applies(string key) => Config.Spec.Applies(key, Config);

    /// <summary>Sets a key as the user gave it (null: back to its default), through the cascade.</summary>
    public void Set(string key, object? value) => (given, Config) = With(key, value);

    /// <summary>Re-validates the config and the name against the datasets a user may choose.</summary>
    public IReadOnlyList<ConfigError> Validate(IReadOnlyList<string> knownDatasets)
    {
        datasets = knownDatasets;
        var errors = Config.Validate(knownDatasets).ToList();
        if (Slip.Web.Runs.RunLauncher.ValidateName(Name) is { } nameError)
        {
            errors.Add(nameError);
        }

        return Errors = errors;
    }

    /// <summary>The error a key would have if it held <paramref name="value"/> (MudBlazor asks this on blur).</summary>
    public string? Check(string key, object? value) => With(key, value).Config.Validate(datasets).FirstOrDefault(e => e.Field == key)?.Message;

    public string? ErrorOf(string key) => Errors.FirstOrDefault(e => e.Field == key)?.Message;

    private (JsonObject Given, RunConfig Config) With(string key, object? value)
    {
        var change = new JsonObject();
        ConfigJson.Set(change, key, value is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(value, RunConfig.JsonOptions));
        var next = ConfigCascade.Change(given, change);
        return (next, ConfigCascade.Resolve(next));
    }
}

/// <summary>
/// What the form hands to its page when the user launches a valid run: the name, the config, and what the user set
/// as config keys (<c>Given</c>; the rest are the cascade's defaults), which a sweep takes as its base.
/// </summary>
public sealed record RunFormSubmission(string? Name, RunConfig Config, JsonObject Given);
