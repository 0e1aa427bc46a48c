using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;

namespace Slip.Training.Cli;

/// <summary>
/// The options several verbs share, and option factories that check a value when it is parsed (a file that must
/// exist, a whole number above 0), so a bad value is refused with exit code 2 before any work starts.
/// </summary>
internal static class CliOptions
{
    /// <summary><c>--config run.json</c>: a run config file that exists (its content is checked by <see cref="LoadConfig"/>).</summary>
    public static Option<string> Config() => ExistingFile("--config", "The run config (JSON in parts; see the README's Run configs): every key optional.", "Config file", required: true, helpName: "run.json");

    /// <summary><c>--threads n</c>: libtorch's CPU threads; all cores when not given.</summary>
    public static Option<int?> Threads() => Number<int>("--threads", "CPU threads for libtorch (default: all cores).", "a whole number above 0", n => n > 0);

    /// <summary>
    /// <c>--device cpu|cuda|cuda:N</c>: where the model computes, checked when parsed (a GPU this libtorch cannot see is
    /// refused with what it sees). The worker passes its own device.
    /// </summary>
    public static Option<TorchSharp.torch.Device> Device() => new("--device")
    {
        Description = $"Where the model computes: {Placement.Accepted} (default: cpu).",
        HelpName = "device",
        DefaultValueFactory = _ => TorchSharp.torch.CPU,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "cpu";
            try
            {
                return Placement.Parse(text);
            }
            catch (ArgumentException ex)
            {
                result.AddError($"--device: {ex.Message}");
                return TorchSharp.torch.CPU;
            }
        },
    };

    /// <summary><c>--bpe-vocab file</c>: CLIP's BPE vocabulary, for configs with the clip-bpe tokenizer.</summary>
    public static Option<string> BpeVocabulary() => new("--bpe-vocab")
    {
        Description = "Another copy of CLIP's bpe_simple_vocab_16e6.txt.gz for the clip-bpe tokenizer (default: $SLIP_BPE_VOCAB, else the one built into Slip).",
        HelpName = "file",
    };

    /// <summary><c>--data-roots a:b</c>: the only folders datasets may be read from (the dashboard always passes it).</summary>
    public static Option<string> DataRoots() => new("--data-roots")
    {
        Description = "Read datasets only inside these folders, joined by ':' (default: anywhere).",
        HelpName = "dir:dir",
    };

    /// <summary><c>--progress auto|human|json</c>: how <c>train</c> and <c>eval</c> report progress on stdout.</summary>
    public static Option<string> Progress(string description)
    {
        var option = new Option<string>("--progress") { Description = description, DefaultValueFactory = _ => "auto" };
        option.AcceptOnlyFromAmong("auto", "human", "json");
        return option;
    }

    /// <summary>Human progress: asked for, or auto and stdout is a terminal (the worker redirects it).</summary>
    public static bool ShowsHuman(ParseResult parsed, Option<string> progress) =>
        parsed.GetValue(progress) switch
        {
            "human" => true,
            "json" => false,
            _ => !Console.IsOutputRedirected,
        };

    /// <summary>The file from <c>--bpe-vocab</c>, else SLIP_BPE_VOCAB.</summary>
    public static string? BpeVocabularyPath(ParseResult parsed, Option<string> option) =>
        parsed.GetValue(option) ?? Environment.GetEnvironmentVariable("SLIP_BPE_VOCAB");

    /// <summary>The roots from <c>--data-roots</c>; without it, anything the user names.</summary>
    public static DataRoots Roots(ParseResult parsed, Option<string> option) =>
        parsed.GetValue(option) is { } roots ? new DataRoots(roots.Split(':', StringSplitOptions.RemoveEmptyEntries)) : Datasets.Sources.DataRoots.Unrestricted;

    /// <summary>Before a verb's first tensor: libtorch's threads from <c>--threads</c>, and the native heap kept for reuse (<see cref="Torch.NativeHeap"/>).</summary>
    public static void PrepareTorch(ParseResult parsed, Option<int?> threads)
    {
        Torch.NativeHeap.KeepFreedMemory();
        TorchSharp.torch.set_num_threads(parsed.GetValue(threads) ?? Environment.ProcessorCount);
    }

    /// <summary>
    /// The run config in <paramref name="path"/>, with its defaults applied and checked; null, with the reasons on
    /// stderr, when it is not a valid config. A file that cannot be read throws (a failure, not a usage error).
    /// </summary>
    public static RunConfig? LoadConfig(string path)
    {
        var json = File.ReadAllText(path);
        try
        {
            var config = RunConfig.FromJson(json);
            var errors = config.Validate(DatasetCatalog.Names);
            foreach (var error in errors)
            {
                Console.Error.WriteLine($"{path}: {error.Field}: {error.Message}");
            }

            return errors.Count == 0 ? config : null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // Not JSON, an unknown preset, a field of the wrong type.
            Console.Error.WriteLine($"{path}: {ex.Message}");
            return null;
        }
    }

    /// <summary>A file option whose file must exist when given; the message names it.</summary>
    public static Option<string> ExistingFile(string name, string description, string what, bool required = false, string helpName = "file")
    {
        var option = new Option<string>(name) { Description = description, Required = required, HelpName = helpName };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && !File.Exists(path))
            {
                result.AddError(Directory.Exists(path) ? $"{what} '{path}' is a folder, not a file." : $"{what} '{path}' does not exist.");
            }
        });
        return option;
    }

    /// <summary>--vision-heads and --text-heads: attention heads the weights cannot tell (they change no shape).</summary>
    public static (Option<int?> Vision, Option<int?> Text) Heads() => (
        Number<int>("--vision-heads", "Attention heads of the image tower, when the checkpoint is not a reference tower and has no config.json beside it.", "a whole number above 0", n => n > 0),
        Number<int>("--text-heads", "Attention heads of the text tower, likewise.", "a whole number above 0", n => n > 0));

    /// <summary>The head counts given on the command line.</summary>
    public static HeadCounts HeadCounts(ParseResult parsed, (Option<int?> Vision, Option<int?> Text) options) =>
        new(parsed.GetValue(options.Vision), parsed.GetValue(options.Text));

    /// <summary>--truncation: open_clip or reference; <paramref name="fallback"/> null means "the run's own rule".</summary>
    public static Option<string> TruncationRule(string description, Truncation? fallback)
    {
        var option = new Option<string>("--truncation") { Description = description, HelpName = string.Join("|", EnumNames.All<Truncation>()) };
        if (fallback is { } rule)
        {
            option.DefaultValueFactory = _ => EnumNames.Of(rule);
        }

        option.AcceptOnlyFromAmong([.. EnumNames.All<Truncation>()]);
        return option;
    }

    /// <summary>The rule --truncation names, or null when it was not given and has no default.</summary>
    public static Truncation? TruncationOf(ParseResult parsed, Option<string> option) =>
        EnumNames.TryParse<Truncation>(parsed.GetValue(option), out var rule) ? rule : null;

    /// <summary>A number option; a value that is not one, or breaks <paramref name="accept"/>, is refused as "NAME takes RULE, not 'VALUE'."</summary>
    public static Option<T?> Number<T>(string name, string description, string rule, Func<T, bool>? accept = null)
        where T : struct, INumber<T> => new(name)
        {
            Description = description,
            HelpName = typeof(T) == typeof(int) ? "n" : "x",
            CustomParser = result => Parse(result, name, rule, accept),
        };

    /// <summary>As <see cref="Number{T}(string, string, string, Func{T, bool}?)"/>, with a default shown in help.</summary>
    public static Option<T> Number<T>(string name, string description, T fallback, string rule, Func<T, bool>? accept = null)
        where T : struct, INumber<T> => new(name)
        {
            Description = description,
            HelpName = typeof(T) == typeof(int) ? "n" : "x",
            DefaultValueFactory = _ => fallback,
            CustomParser = result => Parse(result, name, rule, accept) ?? fallback,
        };

    private static T? Parse<T>(ArgumentResult result, string name, string rule, Func<T, bool>? accept)
        where T : struct, INumber<T>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var style = typeof(T) == typeof(int) || typeof(T) == typeof(long) ? NumberStyles.Integer : NumberStyles.Float;
        if (T.TryParse(text, style, CultureInfo.InvariantCulture, out var value) && (accept is null || accept(value)))
        {
            return value;
        }

        result.AddError($"{name} takes {rule}, not '{text}'.");
        return null;
    }
}
