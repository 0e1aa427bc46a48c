using System.Text.Json;
using System.Text.RegularExpressions;
using Slip.Training.Cli;
using Slip.Training.Evaluation;

namespace Slip.Training.Tests;

/// <summary>The CLI run in-process, as the worker runs it out of process: its exit codes, stdout and stderr.</summary>
[Collection(GlobalTorchState.Name)]
public sealed partial class CliTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("slip-cli-").FullName;
    private readonly string config;

    public CliTests()
    {
        config = Path.Combine(folder, "run.json");
        File.WriteAllText(config, TinyConfigs.Slip().ToJson());
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void TrainHelpExitsZeroAndListsTheVerbsOptions()
    {
        var (code, stdout, _) = Cli("train", "--help");

        Assert.Equal(ExitCodes.Completed, code);
        Assert.All(["--config", "--out", "--resume", "--threads", "--bpe-vocab", "--data-roots", "--progress <auto|human|json>"], o => Assert.Contains(o, stdout));
    }

    [Theory]
    [InlineData("eval", "--request")]
    [InlineData("validate", "--config")]
    [InlineData("presets", "--help")]
    [InlineData("bench", "--data-only")]
    [InlineData("dataset", "--caption-column")]
    [InlineData("inspect", "--checkpoint")]
    [InlineData("export", "--out")]
    [InlineData("embed", "--captions")]
    public void EveryVerbAnswersHelpOnStdout(string verb, string option)
    {
        var (code, stdout, stderr) = Cli(verb, "--help");

        Assert.Equal(ExitCodes.Completed, code);
        Assert.Contains($"Slip.Training {verb} [options]", stdout);
        Assert.Contains(option, stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public void TopLevelHelpListsTheVerbsAndTheExitCodes()
    {
        var (code, stdout, _) = Cli("--help");

        Assert.Equal(ExitCodes.Completed, code);
        Assert.All(["train", "eval", "validate", "presets", "bench", "dataset", "inspect", "export", "embed"], v => Assert.Matches($"(?m)^  {v} ", stdout));
        Assert.Contains("Exit codes:", stdout);
        Assert.Contains("4  cancelled", stdout);
    }

    [Fact]
    public void AMistypedOptionIsRefusedByNameAndNothingStarts()
    {
        var output = Path.Combine(folder, "run");

        var (code, stdout, stderr) = Cli("train", "--config", config, "--out", output, "--resme");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'--resme'", stderr);
        Assert.Contains(stderr.Split('\n'), line => line.Trim() == "--resume");   // the suggestion
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AnUnknownVerbIsRefusedWithTheNearestOne()
    {
        var (code, stdout, stderr) = Cli("trian", "--config", config);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'trian'", stderr);
        Assert.Contains(stderr.Split('\n'), line => line.Trim() == "train");
        Assert.Empty(stdout);
    }

    [Theory]
    [InlineData("train --config {config} --out {out} --threads abc", "--threads takes a whole number above 0, not 'abc'.")]
    [InlineData("train --config {config} --out {out} --threads 0", "--threads takes a whole number above 0, not '0'.")]
    [InlineData("bench --config {config} --steps -1", "--steps takes a whole number above 0, not '-1'.")]
    [InlineData("bench --config {config} --ops --data-only", "Choose one of --ops, --data-only and --peak.")]
    [InlineData("bench --config {config} --peak --data-only", "Choose one of --ops, --data-only and --peak.")]
    [InlineData("train --config {folder}/missing.json --out {out}", "Config file '{folder}/missing.json' does not exist.")]
    [InlineData("train --config {config}", "Option '--out' is required.")]
    [InlineData("train --config {config} --out {out} --progress fancy", "Argument 'fancy' not recognized.")]
    [InlineData("eval --checkpoint {folder}/missing.pt", "Checkpoint file '{folder}/missing.pt' does not exist.")]
    [InlineData("eval --checkpoint {config} --probe-lr -0.1", "--probe-lr takes a number above 0, not '-0.1'.")]
    [InlineData("eval --request {config} --tasks linear_probe", "--request takes every setting from its file; drop --tasks.")]
    [InlineData("eval --dataset shapes", "eval needs --checkpoint <file> or --request <file>.")]
    [InlineData("dataset --format parquet --path x", "Argument 'parquet' not recognized.")]
    [InlineData("embed --checkpoint {config} --out {out}", "embed needs --images, --captions or both.")]
    public void BadValuesAreRefusedWithTheReason(string commandLine, string message)
    {
        string Fill(string text) => text.Replace("{config}", config).Replace("{folder}", folder).Replace("{out}", Path.Combine(folder, "run"));

        var (code, stdout, stderr) = Cli(Fill(commandLine).Split(' '));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(Fill(message), stderr);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Path.Combine(folder, "run")));
    }

    [Theory]
    [InlineData("""{"model": "Huge"}""", "Unknown model preset 'Huge'")]
    [InlineData("""{"epochs": 0}""", "Epochs")]
    [InlineData("not json", "not valid JSON")]
    public void AnInvalidConfigIsAUsageErrorNamingTheFile(string json, string message)
    {
        File.WriteAllText(config, json);

        var (code, _, stderr) = Cli("validate", "--config", config);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(config, stderr);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void AnOutputFolderThatCannotBeCreatedIsAFailureNotAUsageError()
    {
        var file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "");

        var (code, stdout, stderr) = Cli("train", "--config", config, "--out", Path.Combine(file, "run"), "--progress", "json");

        Assert.Equal(ExitCodes.Failed, code);
        var failed = TrainerEvent.TryParse(stdout.Trim().Split('\n')[^1]);
        Assert.Equal(TrainerEvent.Failed, failed?.Type);
        Assert.Contains("could not read or write", failed!.Message);
        Assert.Contains("a-file", stderr);
    }

    [Fact]
    public void ACheckpointDeletedBeforeItsRequestRunsIsAFailureNotAUsageError()
    {
        var request = Path.Combine(folder, "request.json");
        File.WriteAllText(request, JsonSerializer.Serialize(new EvalRequest { Checkpoint = Path.Combine(folder, "deleted.pt") }, RunConfig.JsonOptions));

        var (code, stdout, stderr) = Cli("eval", "--request", request, "--events", "--out", Path.Combine(folder, "results.json"), "--data-roots", folder, "--threads", "1");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal(TrainerEvent.Failed, TrainerEvent.TryParse(stdout.Trim())?.Type);
        Assert.Contains("deleted.pt' does not exist", stderr);
    }

    [Fact]
    public void ProgressJsonWritesOneEventPerLineAndHumanWritesStatusLines()
    {
        var (jsonCode, json, _) = Cli("train", "--config", config, "--out", Path.Combine(folder, "json"), "--progress", "json", "--threads", "1");
        var (humanCode, human, _) = Cli("train", "--config", config, "--out", Path.Combine(folder, "human"), "--progress", "human", "--threads", "1");

        Assert.Equal(ExitCodes.Completed, jsonCode);
        var events = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TrainerEvent.TryParse).ToList();
        Assert.All(events, Assert.NotNull);
        Assert.Equal(TrainerEvent.Started, events[0]!.Type);
        Assert.Equal(TrainerEvent.Completed, events[^1]!.Type);

        Assert.Equal(ExitCodes.Completed, humanCode);
        var lines = human.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines, line => Assert.Null(TrainerEvent.TryParse(line)));
        Assert.Contains(lines, line => StatusLine().IsMatch(line));
        Assert.Contains(lines, line => line.StartsWith("epoch 1 saved: ", StringComparison.Ordinal));
        Assert.StartsWith("completed in ", lines[^1]);
    }

    [Fact]
    public void TheStatusShowsEpochStepLossThroughputAndTimeLeft()
    {
        var status = new ProgressStatus(epochs: 4);
        TrainerEvent At(string type, long step, Dictionary<string, double>? values = null) =>
            new() { Type = type, Step = step, TotalSteps = 100, Epoch = step / 25.0, Values = values };

        Assert.False(status.Observe(At(TrainerEvent.Started, 10), TimeSpan.FromSeconds(1)));   // a resumed run: 10 steps done before
        Assert.Equal("epoch 1/4  step 10/100  loss --  -- img/s  ETA --", status.Line);
        Assert.False(status.Observe(At(TrainerEvent.Progress, 11), TimeSpan.FromSeconds(2)));
        Assert.True(status.Observe(At(TrainerEvent.Metrics, 40, new() { ["loss"] = 2.5, ["images_per_s"] = 256.04, ["lr"] = 1e-3 }), TimeSpan.FromSeconds(11)));

        // 30 steps in 10 s: the 60 left take 20 s.
        Assert.Equal("epoch 2/4  step 40/100  loss 2.5000  256.0 img/s  ETA 0:00:20", status.Line);
        Assert.Equal(0.4, status.Fraction, 6);
        Assert.False(status.Observe(At(TrainerEvent.Metrics, 50, new() { ["zeroshot_acc1"] = 12.5 }), TimeSpan.FromSeconds(21)));
        Assert.Equal("epoch 2/4  step 50/100  loss 2.5000  256.0 img/s  ETA 0:00:25", status.Line);
        Assert.Equal("epoch 2: zeroshot_acc1 12.5", ProgressStatus.Note(At(TrainerEvent.Metrics, 50, new() { ["zeroshot_acc1"] = 12.5 }), TimeSpan.Zero));
        Assert.Null(ProgressStatus.Note(At(TrainerEvent.Progress, 51), TimeSpan.Zero));
        Assert.Equal("completed in 1:02:03", ProgressStatus.Note(At(TrainerEvent.Completed, 100), new TimeSpan(1, 2, 3)));
    }

    [Fact]
    public void AnEvaluationsStatusShowsItsPhaseShareDoneAndTimeLeft()
    {
        var status = new ProgressStatus(epochs: 0);

        status.Observe(new TrainerEvent { Type = TrainerEvent.Started, TotalSteps = 1000, Message = "loading the checkpoint" }, TimeSpan.Zero);
        Assert.Equal("loading the checkpoint  0%  ETA --", status.Line);
        Assert.True(status.Observe(new TrainerEvent { Type = TrainerEvent.Progress, Step = 250, TotalSteps = 1000, Message = "linear probe epoch 3/90" }, TimeSpan.FromSeconds(5)));
        Assert.False(status.Observe(new TrainerEvent { Type = TrainerEvent.Progress, Step = 500, TotalSteps = 1000, Message = "linear probe epoch 3/90" }, TimeSpan.FromSeconds(10)));
        Assert.Equal("linear probe epoch 3/90  50%  ETA 0:00:10", status.Line);
        Assert.Equal("linear_probe: lp_acc1 81.25", ProgressStatus.Note(new TrainerEvent { Type = TrainerEvent.Metrics, Values = new() { ["lp_acc1"] = 81.25 }, Message = "linear_probe" }, TimeSpan.Zero));
    }

    [GeneratedRegex(@"^epoch 1/1  step \d+/\d+  loss \d+\.\d{4}  \d+\.\d img/s  ETA \d+:\d\d:\d\d$")]
    private static partial Regex StatusLine();

    [Fact]
    public void TokenizeWritesCLIPsIdsAndTakesEitherTruncation()
    {
        var input = Path.Combine(folder, "strings.json");
        var output = Path.Combine(folder, "ids.json");
        File.WriteAllText(input, JsonSerializer.Serialize(new[] { "a dog", string.Join(' ', Enumerable.Repeat("photograph", 100)) }));

        Assert.Equal(ExitCodes.Completed, Cli("tokenize", "--input", input, "--out", output).Code);
        var rows = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(output))!;
        Assert.Equal([49406, 320, 1929, 49407], rows[0].Take(4));
        Assert.Equal((77, 77, 49407L), (rows[0].Length, rows[1].Length, rows[1][^1]));

        Assert.Equal(ExitCodes.Completed, Cli("tokenize", "--input", input, "--out", output, "--truncation", "reference", "--context", "16").Code);
        var cut = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(output))!;
        Assert.Equal(16, cut[1].Length);
        Assert.DoesNotContain(49407L, cut[1]);

        var (code, _, stderr) = Cli("tokenize", "--input", input, "--out", output, "--truncation", "openai");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("openai", stderr);
    }

    [Fact]
    public void HeadCountsGivenOnTheCommandLineWinAndMustDivideTheWidth()
    {
        var release = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", "published_style_checkpoint.pt");
        var (code, stdout, stderr) = Cli("inspect", "--checkpoint", release, "--vision-heads", "2", "--text-heads", "4");
        Assert.Equal(ExitCodes.Completed, code);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("config").GetProperty("vision").GetProperty("heads").GetInt32());
        Assert.Equal(4, root.GetProperty("config").GetProperty("text").GetProperty("heads").GetInt32());
        Assert.Equal(("given", "given"), (root.GetProperty("headsFrom").GetProperty("vision").GetString(), root.GetProperty("headsFrom").GetProperty("text").GetString()));
        Assert.Equal("", stderr);

        var refused = Cli("embed", "--checkpoint", release, "--captions", release, "--out", Path.GetTempPath(), "--vision-heads", "3");
        Assert.Equal(ExitCodes.Usage, refused.Code);
        Assert.Contains("--vision-heads 3 does not divide the vision width 32", refused.Stderr);
        Assert.Equal(ExitCodes.Usage, Cli("eval", "--checkpoint", release, "--text-heads", "0").Code);
    }

    [Fact]
    public void EvalWithTheImageNetCatalogRunsTheReferencesZeroShotProtocolOnAWnidFolder()
    {
        var folder = Directory.CreateTempSubdirectory("slip-wnid-").FullName;
        try
        {
            foreach (var (wnid, colour) in new[] { ("n01440764", SkiaSharp.SKColors.Green), ("n01443537", SkiaSharp.SKColors.Orange) })
            {
                using var bitmap = new SkiaSharp.SKBitmap(24, 20);
                bitmap.Erase(colour);
                using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(folder, wnid)).FullName, "0.png"), png.ToArray());
            }

            var release = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", "published_style_checkpoint.pt");
            var (code, stdout, _) = Cli("eval", "--checkpoint", release, "--format", "imagefolder", "--path", folder, "--catalog", "imagenet", "--tasks", "zeroshot_classification", "--vision-heads", "2", "--text-heads", "2");
            Assert.Equal(ExitCodes.Completed, code);
            var metrics = System.Text.Json.JsonDocument.Parse(stdout).RootElement[0].GetProperty("metrics");
            Assert.Equal(metrics.GetProperty("acc1").GetDouble(), metrics.GetProperty("reported").GetDouble());

            var refused = Cli("eval", "--checkpoint", release, "--dataset", "shapes-mini", "--catalog", "imagenet", "--tasks", "zeroshot_classification");
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains("use it with --format imagefolder", refused.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SweepPlanWritesEveryRunsConfigOrEveryErrorWithItsField()
    {
        var folder = Directory.CreateTempSubdirectory("slip-sweep-").FullName;
        try
        {
            var sweep = Path.Combine(folder, "sweep.json");
            File.WriteAllText(sweep, """{"name": "clip-vs-slip", "base": {"model": "Micro"}, "grid": {"objective": ["Clip", "Slip"], "optim.learningRate": [1e-3, 3e-3]}, "seeds": [0, 1, 2]}""");
            var (code, stdout, _) = Cli("sweep", "plan", "--file", sweep, "--out", Path.Combine(folder, "runs"));
            Assert.Equal(ExitCodes.Completed, code);
            Assert.StartsWith("clip-vs-slip: 12 runs, 2 arms", stdout);
            var written = Directory.GetFiles(Path.Combine(folder, "runs"), "run-*.json").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(12, written.Count);
            var last = RunConfig.FromJson(File.ReadAllText(written[^1]));
            Assert.Equal((Objective.Slip, 3e-3, 2), (last.Objective, last.Optim.LearningRate, last.Seed));

            File.WriteAllText(sweep, """{"name": "bad", "grid": {"optim.batchSize": [0], "learningRat": [1]}}""");
            var refused = Cli("sweep", "plan", "--file", sweep);
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains("grid.learningRat: Unknown config key 'learningRat'. Did you mean 'optim.learningRate'?", refused.Stderr);

            // The report is checked before anything trains, against each arm: SimCLR has no text tower for zero-shot.
            File.WriteAllText(sweep, """{"name": "r", "base": {"data": {"dataset": "shapes-mini"}}, "grid": {"objective": ["Clip", "SimClr"]}, "report": {"dataset": "shapes-mini", "tasks": ["zeroshot_classification"], "probeEpochs": 0}}""");
            var badReport = Cli("sweep", "plan", "--file", sweep);
            Assert.Equal(ExitCodes.Usage, badReport.Code);
            Assert.Contains("report.tasks: objective=SimClr: This checkpoint is an image-only (SSL) model", badReport.Stderr);
            Assert.Contains("report.probeEpochs: objective=Clip: Linear-probe epochs must be between 1 and 1000.", badReport.Stderr);
            Assert.DoesNotContain("report.checkpoint", badReport.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SweepRunTrainsEveryRunSelectsOnValidationAndResumes()
    {
        var folder = Directory.CreateTempSubdirectory("slip-sweeprun-").FullName;
        try
        {
            var sweep = Path.Combine(folder, "sweep.json");
            File.WriteAllText(sweep, """
                {"name": "tiny", "base": {"model": "Micro", "data": {"dataset": "shapes-mini"}, "optim": {"epochs": 1, "batchSize": 32}, "eval": {"samples": 40}},
                 "grid": {"objective": ["Clip", "Slip"]}, "seeds": [0, 1],
                 "report": {"dataset": "shapes-mini", "tasks": ["zeroshot_classification"], "limit": 40}}
                """);
            var output = Path.Combine(folder, "out");
            var (code, stdout, stderr) = Cli("sweep", "run", "--file", sweep, "--out", output);
            Assert.True(code == ExitCodes.Completed, stderr);
            Assert.Equal(4, Directory.GetFiles(output, "scores.json", SearchOption.AllDirectories).Length);
            Assert.Equal(File.ReadAllText(sweep), File.ReadAllText(Path.Combine(output, "sweep.json")));   // kept for sweep push
            Assert.Contains(File.ReadLines(Path.Combine(output, "run-000", "events.jsonl")), l => l.Contains("\"val_zeroshot_acc1\"", StringComparison.Ordinal));
            Assert.Contains("objective=Clip: best", stdout);
            Assert.Contains("val_zeroshot_acc1", stdout);
            using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
            var clip = results.RootElement.EnumerateArray().Single(a => a.GetProperty("arm").GetString() == "objective=Clip").GetProperty("best");
            Assert.Equal(2, clip.GetProperty("scored").GetInt32());
            Assert.True(clip.GetProperty("test").TryGetProperty("zeroshot_acc1", out _));

            // The final evaluation: each arm's best combination evaluated on every seed's last checkpoint, mean ± std.
            using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            Assert.Equal(["objective=Clip", "objective=Slip"], report.RootElement.EnumerateArray().Select(a => a.GetProperty("arm").GetString()));
            Assert.All(report.RootElement.EnumerateArray(), a => Assert.Equal(2, a.GetProperty("metrics").GetProperty("acc1").GetProperty("count").GetInt32()));
            Assert.Equal(4, Directory.GetFiles(output, "report.json", SearchOption.AllDirectories).Length - 1);
            Assert.Matches(@"objective=Slip report \(2 of 2 seeds evaluated\): acc1 \d+\.\d ± \d+\.\d \((beyond|within) noise\)", stdout);

            // Run again: every run has its scores, so nothing is trained and the same results come out.
            var written = File.GetLastWriteTimeUtc(Path.Combine(output, "run-000", "scores.json"));
            var again = Cli("sweep", "run", "--file", sweep, "--out", output);
            Assert.Equal(ExitCodes.Completed, again.Code);
            Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(output, "run-000", "scores.json")));
            Assert.DoesNotContain("run 1/4", again.Stderr);
            Assert.Equal(stdout, again.Stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SweepPushSaysWhatIsMissingBeforeItSendsAnything()
    {
        var folder = Directory.CreateTempSubdirectory("slip-sweeppush-").FullName;
        try
        {
            var noFolder = Cli("sweep", "push", "--from", Path.Combine(folder, "nope"), "--url", "ftp://x");
            Assert.Equal(ExitCodes.Usage, noFolder.Code);
            Assert.Contains("Sweep folder '" + Path.Combine(folder, "nope") + "' does not exist.", noFolder.Stderr);
            Assert.Contains("--url takes the dashboard's http(s) address, not 'ftp://x'.", noFolder.Stderr);

            var noDefinition = Cli("sweep", "push", "--from", folder, "--url", "http://127.0.0.1:9");
            Assert.Equal(ExitCodes.Usage, noDefinition.Code);
            Assert.Contains("sweep.json does not exist (sweep run writes it from now on): give the sweep file that was run with --file.", noDefinition.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static (int Code, string Stdout, string Stderr) Cli(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (SlipCli.Run(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
