using System.Runtime.InteropServices;
using Slip.Training.Datasets;

namespace Slip.Training.Cli;

/// <summary>
/// The headless CLI. <c>train --config run.json --out DIR</c> trains and writes JSON-lines events to stdout;
/// a line <c>cancel</c> on stdin, SIGTERM or Ctrl+C stop it after the current step.
/// <c>validate --config run.json</c> checks a config; <c>presets</c> lists model presets and datasets.
/// Exit codes: 0 completed, 2 bad arguments or config, 3 training failed, 4 cancelled.
/// </summary>
public static class TrainCommand
{
    public const int ExitCompleted = 0;
    public const int ExitUsage = 2;
    public const int ExitFailed = 3;
    public const int ExitCancelled = 4;

    private const string Usage = """
        Usage:
          Slip.Training train --config <run.json> --out <dir> [--resume] [--threads <n>] [--bpe-vocab <bpe_simple_vocab_16e6.txt.gz>] [--data-roots <dir:dir>]
          Slip.Training eval --checkpoint <file> [--dataset shapes|shapes-mini | --format fashion-mnist|imagefolder|webdataset|csv --path <test> [--train-path <train>]]
                [--tasks zeroshot_classification,linear_probe,finetune,zeroshot_retrieval] [--limit n] [--train-limit n] [--probe-epochs n] [--probe-lr x]
                [--ft-epochs n] [--ft-lr x] [--ft-batch n] [--image-size n] [--seed n] [--out results.json] [--events]
          Slip.Training eval --request <request.json> [--out results.json] [--events]
          Slip.Training dataset --format <webdataset|csv|imagefolder|fashion-mnist> --path <location> [--image-column c] [--caption-column c] [--split train|test]
          Slip.Training validate --config <run.json>   (prints the complete config)
          Slip.Training bench --config <run.json> [--steps <n>] [--warmup <n>] [--threads <n>] [--ops | --data-only]
          Slip.Training presets
          Slip.Training inspect --checkpoint <file>
          Slip.Training export --checkpoint <file> --out <file.pt|file.safetensors>
          Slip.Training embed --checkpoint <file> [--images <folder|list.txt>] [--captions <captions.txt>] --out <dir> [--bpe-vocab <file>]
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? ExitUsage : ExitCompleted;
        }

        var options = ParseOptions(args.Skip(1).ToArray());
        switch (args[0])
        {
            case "presets":
                Console.WriteLine("Models:   " + string.Join(", ", ModelPresets.Names));
                Console.WriteLine("Datasets: " + string.Join(", ", DatasetCatalog.Names));
                Console.WriteLine("SSL methods (sslMethod): " + string.Join(", ", EnumNames.All<Ssl.SslMethod>()));
                return ExitCompleted;
            case "validate":
                var valid = LoadConfig(options);
                if (valid is not null)
                {
                    Console.WriteLine(valid.ToJson());
                }

                return valid is null ? ExitUsage : ExitCompleted;
            case "train":
                return Train(options);
            case "bench":
                return Bench(options);
            case "dataset":
                return DatasetCommand.Run(options, Roots(options));
            case "eval":
                SetThreads(options);
                return EvalCommand.Run(options, Roots(options), BpeVocabulary(options));
            case "inspect" or "export" or "embed":
                return CheckpointVerb(args[0], options);
            default:
                Console.Error.WriteLine($"Unknown command '{args[0]}'.\n{Usage}");
                return ExitUsage;
        }
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        // "--name value" pairs; a flag with no value ("--resume") reads as "true".
        var options = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            options[args[i].TrimStart('-')] = hasValue ? args[++i] : "true";
        }

        return options;
    }

    private static RunConfig? LoadConfig(Dictionary<string, string> options)
    {
        if (!options.TryGetValue("config", out var path))
        {
            Console.Error.WriteLine($"Missing --config.\n{Usage}");
            return null;
        }

        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"Config file '{path}' does not exist.");
            return null;
        }

        try
        {
            var config = RunConfig.FromJson(File.ReadAllText(path));
            var errors = config.Validate(DatasetCatalog.Names);
            foreach (var error in errors)
            {
                Console.Error.WriteLine($"{error.Field}: {error.Message}");
            }

            return errors.Count == 0 ? config : null;
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return null;
        }
    }

    private static int CheckpointVerb(string verb, Dictionary<string, string> options)
    {
        if (!options.TryGetValue("checkpoint", out var checkpoint) || (verb != "inspect" && !options.ContainsKey("out")))
        {
            Console.Error.WriteLine($"{verb} needs --checkpoint{(verb == "inspect" ? "" : " and --out")}.\n{Usage}");
            return ExitUsage;
        }

        try
        {
            return verb switch
            {
                "inspect" => CheckpointCommands.Inspect(checkpoint),
                "export" => CheckpointCommands.Export(checkpoint, options["out"]),
                _ => CheckpointCommands.Embed(checkpoint, options.GetValueOrDefault("images"), options.GetValueOrDefault("captions"), options["out"], BpeVocabulary(options)),
            };
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or FormatException)
        {
            // Bad files get their reason, not a stack trace; nothing has been written for them.
            Console.Error.WriteLine(ex.Message);
            return ExitUsage;
        }
    }

    private static int Bench(Dictionary<string, string> options)
    {
        var config = LoadConfig(options);
        if (config is null)
        {
            return ExitUsage;
        }

        SetThreads(options);
        try
        {
            return options.ContainsKey("ops") ? OpsBench.Run(config, IntOption(options, "steps", 20))
                : options.ContainsKey("data-only") ? BenchCommand.RunData(config, IntOption(options, "steps", 20), BpeVocabulary(options))
                : BenchCommand.Run(config, IntOption(options, "steps", 20), IntOption(options, "warmup", 3), BpeVocabulary(options));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitUsage;
        }
    }

    /// <summary>--bpe-vocab, else SLIP_BPE_VOCAB: the CLIP vocabulary file for runs with the clip-bpe tokenizer.</summary>
    /// <summary>--data-roots a:b limits what datasets may be read (the dashboard always passes it); without it, anything the user names.</summary>
    private static Datasets.Sources.DataRoots Roots(Dictionary<string, string> options) =>
        options.TryGetValue("data-roots", out var roots)
            ? new Datasets.Sources.DataRoots(roots.Split(':', StringSplitOptions.RemoveEmptyEntries))
            : Datasets.Sources.DataRoots.Unrestricted;

    private static string? BpeVocabulary(Dictionary<string, string> options) =>
        options.TryGetValue("bpe-vocab", out var path) ? path : Environment.GetEnvironmentVariable("SLIP_BPE_VOCAB");

    private static int IntOption(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) && int.TryParse(text, out var value) && value > 0 ? value : fallback;

    private static void SetThreads(Dictionary<string, string> options) =>
        TorchSharp.torch.set_num_threads(IntOption(options, "threads", Environment.ProcessorCount));

    private static int Train(Dictionary<string, string> options)
    {
        var config = LoadConfig(options);
        if (config is null)
        {
            return ExitUsage;
        }

        if (!options.TryGetValue("out", out var output))
        {
            Console.Error.WriteLine($"Missing --out.\n{Usage}");
            return ExitUsage;
        }

        SetThreads(options);

        var cancelled = 0;
        void RequestCancel() => Interlocked.Exchange(ref cancelled, 1);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; RequestCancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; RequestCancel(); });
        var stdinReader = new Thread(() =>
        {
            // End of input is not a cancel request: a headless run may have no stdin at all.
            while (Console.In.ReadLine() is { } line)
            {
                if (line.Trim() == "cancel")
                {
                    RequestCancel();
                }
            }
        })
        { IsBackground = true, Name = "stdin-cancel" };
        stdinReader.Start();

        var stdout = Console.Out;
        void Emit(TrainerEvent e)
        {
            stdout.WriteLine(e.ToJsonLine());
            stdout.Flush();
            if (e.Type == TrainerEvent.Failed && e.Message is not null)
            {
                Console.Error.WriteLine(e.Message);
            }
        }

        TrainingOutcome outcome;
        try
        {
            var resume = options.TryGetValue("resume", out var r) && r == "true";
            outcome = new Trainer(config, output, Emit, () => Volatile.Read(ref cancelled) == 1, BpeVocabulary(options), resume, Roots(options), TrainerFaults.FromEnvironment()).Run();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The run's status shows this message; the stack trace goes to stderr for the log.
            Emit(new TrainerEvent { Type = TrainerEvent.Failed, Message = $"Training crashed: {ex.GetType().Name}: {ex.Message}" });
            Console.Error.WriteLine(ex);
            outcome = TrainingOutcome.Failed;
        }

        return outcome switch
        {
            TrainingOutcome.Completed => ExitCompleted,
            TrainingOutcome.Cancelled => ExitCancelled,
            _ => ExitFailed,
        };
    }
}
