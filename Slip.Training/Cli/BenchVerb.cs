using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training.Cli;

/// <summary>
/// <c>bench --config run.json [--steps 20] [--warmup 3]</c>: times the data pipeline (decode + augment one batch)
/// and the training step (forward, backward, AdamW) separately on the config's model and dataset, and prints one
/// JSON object. Same model code and step as training, without checkpoints or events; the step's operations
/// (<see cref="StepFlops"/>) and, with <c>--peak</c>, its share of this machine's matrix-product rate
/// (<see cref="PeakBench"/>, measured in the same run). <c>--ops</c> times single operations instead
/// (<see cref="OpsBench"/>), <c>--data-only</c> the data path alone.
/// </summary>
internal static class BenchVerb
{
    public static Command Create()
    {
        var config = CliOptions.Config();
        var steps = CliOptions.Number("--steps", "Timed steps (with --ops: repeats; with --data-only: batches).", 20, "a whole number above 0", n => n > 0);
        var warmup = CliOptions.Number("--warmup", "Untimed steps first.", 3, "a whole number, 0 or more", n => n >= 0);
        var threads = CliOptions.Threads();
        var device = CliOptions.Device();
        var ops = new Option<bool>("--ops") { Description = "Time the vision tower's main operations in fp32 and bf16 instead." };
        var dataOnly = new Option<bool>("--data-only") { Description = "Time the data path alone (read, decode, augment, tokenize)." };
        var peak = new Option<bool>("--peak") { Description = $"Also measure this machine's matrix-product rate (square products up to {PeakBench.MaxSize}, fp32 and bf16) and report the step's share of it." };
        var bpeVocabulary = CliOptions.BpeVocabulary();
        var command = new Command("bench", "Time the data pipeline and the training step on a config's model and dataset.")
        {
            config, steps, warmup, device, threads, ops, dataOnly, peak, bpeVocabulary,
        };
        command.Validators.Add(result =>
        {
            if (new[] { result.GetValue(ops), result.GetValue(dataOnly), result.GetValue(peak) }.Count(b => b) > 1)
            {
                result.AddError("Choose one of --ops, --data-only and --peak.");
            }
        });
        command.SetAction(parsed =>
        {
            var run = CliOptions.LoadConfig(parsed.GetRequiredValue(config));
            if (run is null)
            {
                return ExitCodes.Usage;
            }

            CliOptions.PrepareTorch(parsed, threads);
            var vocabulary = CliOptions.BpeVocabularyPath(parsed, bpeVocabulary);
            try
            {
                return parsed.GetValue(ops) ? OpsBench.Run(run, parsed.GetValue(steps))
                    : parsed.GetValue(dataOnly) ? RunData(run, parsed.GetValue(steps), vocabulary)
                    : Run(run, parsed.GetValue(steps), parsed.GetValue(warmup), vocabulary, parsed.GetValue(peak), parsed.GetRequiredValue(device));
            }
            catch (Exception ex) when (ex is InvalidOperationException || ExitCodes.IsInputOutput(ex))
            {
                // A config the bench cannot run (no BPE vocabulary, say) is refused; a file it cannot read is a failure.
                Console.Error.WriteLine(ex.Message);
                return ExitCodes.For(ex);
            }
        });
        return command;
    }

    public static int Run(RunConfig config, int steps, int warmup, string? bpeVocabularyPath, bool peak = false, Device? on = null)
    {
        var device = on ?? CPU;
        // Measured first, before the step's allocations, on the same threads and device.
        (double Gflops, int Size)? peakFp32 = peak ? PeakBench.Measure(ScalarType.Float32, repeats: 5, device) : null;
        (double Gflops, int Size)? peakBf16 = peak ? PeakBench.Measure(ScalarType.BFloat16, repeats: 5, device) : null;
        manual_seed(config.Seed);
        var loader = new BatchLoader(Datasets.Sources.SampleSources.Open(config, Datasets.Sources.DataRoots.Unrestricted), config, Tokenizers.Create(config, bpeVocabularyPath)) { Device = device };
        var indices = loader.Order(0).Take(config.Optim.BatchSize).ToArray();

        var dataClock = Stopwatch.StartNew();
        const int dataBatches = 5;
        for (var i = 0; i < dataBatches; i++)
        {
            loader.Build(indices, epoch: i).Dispose();
        }

        var dataMs = dataClock.Elapsed.TotalMilliseconds / dataBatches;

        using var batch = loader.Build(indices, epoch: 0);
        using var model = new SlipModel(config);
        model.to(device);
        model.train();
        using var optimizer = Trainer.CreateOptimizer(model, config);
        using var mixed = config.Optim.Precision == Precision.Bf16 ? new MixedPrecision(model, config) : null;
        var times = new List<double>();
        var laps = new StepLaps(device);
        long rssAfterWarmup = 0;
        var rssTrace = new List<long>();
        var managedTrace = new List<long>();
        for (var i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
            {
                rssAfterWarmup = StatusMegabytes("VmRSS:");
            }

            if (i >= warmup && (i - warmup) % Math.Max(1, steps / 10) == 0)
            {
                rssTrace.Add(StatusMegabytes("VmRSS:"));
                managedTrace.Add(GC.GetGCMemoryInfo().HeapSizeBytes >> 20);
            }

            var clock = Stopwatch.StartNew();
            Trainer.Step(model, optimizer, batch, config, mixed: mixed, laps: i >= warmup ? laps : null);
            Placement.Synchronize(device);
            if (i >= warmup)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        var mean = times.Average();
        var stepGflop = StepFlops.Step(config) / 1e9;
        var achieved = stepGflop / (mean / 1000);
        var anchor = (config.Optim.Precision == Precision.Bf16 ? peakBf16 : peakFp32)?.Gflops;
        var result = new
        {
            config.Objective,
            config.ObjectiveLabel,
            config.Model,
            config.Optim.BatchSize,
            config.Vision.ImageSize,
            Device = Placement.Name(device),
            Threads = get_num_threads(),
            Steps = steps,
            StepMsMean = Math.Round(mean, 1),
            StepMsMedian = Math.Round(times[times.Count / 2], 1),
            SamplesPerSecond = Math.Round(config.Optim.BatchSize * 1000 / mean, 1),
            DataMsPerBatch = Math.Round(dataMs, 1),
            StepParts = laps.Means(),
            StepGflop = Math.Round(stepGflop, 2),
            AchievedGflops = Math.Round(achieved, 1),
            PeakGflopsFp32 = peakFp32 is { } f ? Math.Round(f.Gflops, 1) : (double?)null,
            PeakGflopsBf16 = peakBf16 is { } h ? Math.Round(h.Gflops, 1) : (double?)null,
            PeakSizes = peak ? $"{peakFp32!.Value.Size} fp32, {peakBf16!.Value.Size} bf16" : null,
            ShareOfPeak = anchor is { } a ? Math.Round(achieved / a, 3) : (double?)null,
            RssMbAfterWarmup = rssAfterWarmup,
            RssMbAtEnd = StatusMegabytes("VmRSS:"),
            PeakRssMb = StatusMegabytes("VmHWM:"),
            RssMbEveryTenthOfTheSteps = rssTrace,
            ManagedHeapMbEveryTenthOfTheSteps = managedTrace,
            Parameters = model.parameters().Sum(p => p.numel()),
        };
        Console.WriteLine(JsonSerializer.Serialize(result, RunConfig.JsonOptions));
        return ExitCodes.Completed;
    }

    /// <summary>
    /// <c>bench --config run.json --data-only [--steps n]</c>: the data path alone, as training runs it (read, decode,
    /// augment every view, tokenize, on the loader's thread and the thread pool): samples/s and images/s (views) over n
    /// batches after one warm-up batch.
    /// </summary>
    public static int RunData(RunConfig config, int batches, string? bpeVocabularyPath)
    {
        var loader = new BatchLoader(Datasets.Sources.SampleSources.Open(config, Datasets.Sources.DataRoots.Unrestricted), config, Tokenizers.Create(config, bpeVocabularyPath));
        var needs = config.Spec.Needs(config);
        var views = (needs.ClipView ? 1 : 0) + needs.SslViews;
        var clock = new Stopwatch();
        long samples = 0;
        var seen = 0;
        var (gen2, pause, allocated) = (0, TimeSpan.Zero, 0L);
        foreach (var batch in loader.Epoch(0, prefetch: 1).Take(batches + 1))
        {
            using (batch)
            {
                if (seen++ == 0)
                {
                    clock.Start();
                    (gen2, pause, allocated) = (GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
                    continue;
                }

                samples += batch.Size;
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            config.Data.Dataset,
            config.Vision.ImageSize,
            config.Optim.BatchSize,
            Cores = Environment.ProcessorCount,
            Batches = seen - 1,
            SamplesPerSecond = Math.Round(samples / seconds, 1),
            ImagesPerSecond = Math.Round(samples * views / seconds, 1),
            SamplesPerSecondPerCore = Math.Round(samples / seconds / Environment.ProcessorCount, 1),
            MsPerBatch = Math.Round(1000 * seconds / Math.Max(1, seen - 1), 1),
            loader.Skipped,
            // What the garbage collector cost while timing: full collections, pauses, and managed bytes allocated per sample.
            Gen2Collections = GC.CollectionCount(2) - gen2,
            GcPauseMs = Math.Round((GC.GetTotalPauseDuration() - pause).TotalMilliseconds, 1),
            AllocatedMbPerSample = Math.Round((GC.GetTotalAllocatedBytes() - allocated) / 1048576.0 / Math.Max(1, samples), 2),
        }, RunConfig.JsonOptions));
        return ExitCodes.Completed;
    }

    /// <summary>A memory field of /proc/self/status (VmRSS, VmHWM; tab- and space-padded), or the working set elsewhere.</summary>
    private static long StatusMegabytes(string field)
    {
        const string status = "/proc/self/status";
        var line = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal)) : null;
        var kb = line?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries) is [_, var value, ..] && long.TryParse(value, out var v) ? v : Environment.WorkingSet / 1024;
        return kb / 1024;
    }
}
