using System.Text.Json.Nodes;
using Slip.Training.Evaluation;
using Slip.Training.Sweeps;

namespace Slip.Training.Tests;

/// <summary>Reading what <c>sweep run</c> left in a sweep's folder, as <c>sweep push</c> sends it.</summary>
public sealed class SweepFolderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("slip-sweep-folder-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Run(int index, params (string File, string Text)[] files)
    {
        var dir = SweepFolder.RunFolder(folder, index);
        foreach (var (file, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, file))!);
            File.WriteAllText(Path.Combine(dir, file), text);
        }

        return dir;
    }

    private static string Events(params TrainerEvent[] events) => string.Join('\n', events.Select(e => e.ToJsonLine())) + "\n";

    private static TrainerEvent Metrics(long step, double loss) => new() { Type = TrainerEvent.Metrics, Step = step, TotalSteps = 8, Values = new() { ["loss"] = loss } };

    private static readonly string Config = new RunConfig { Model = "Micro" }.ToJson();

    [Fact]
    public void AResumedAttemptSupersedesWhatTheCrashedOneLoggedAfterItsCheckpoint()
    {
        Run(0, ("config.json", Config), ("scores.json", """{"runIndex": 0, "selection": 12.5, "test": {"zeroshot_acc1": 10}}"""), (SweepFolder.EventsFile, Events(
            new TrainerEvent { Type = TrainerEvent.Started, TotalSteps = 8 },
            Metrics(2, 4.0), Metrics(4, 3.0), Metrics(6, 2.9),          // the first attempt crashed after step 6; its checkpoint was at step 4
            new TrainerEvent { Type = TrainerEvent.Started, Step = 4, TotalSteps = 8 },
            Metrics(6, 2.5), Metrics(8, 2.0),
            new TrainerEvent { Type = TrainerEvent.Completed, Step = 8, TotalSteps = 8 })));

        var (run, skipped) = SweepFolder.Read(folder, 0, new SweepSelection());

        Assert.Null(skipped);
        Assert.Equal((TrainerEvent.Completed, null), (run!.Outcome, run.Note));
        Assert.Equal([(2L, 4.0), (4L, 3.0), (6L, 2.5), (8L, 2.0)], run.Points().Select(p => (p.Step, p.Value)));
        Assert.Equal("Micro", run.Config["model"]!.GetValue<string>());
        Assert.Null(run.Report);
    }

    [Fact]
    public void AFolderFromBeforeEventsWereKeptSendsItsFinalScoresAtItsLastStepAndSaysSo()
    {
        Run(3, ("config.json", Config), ("scores.json", """{"runIndex": 3, "selection": 11.0, "test": {"zeroshot_acc1": 12.1}}"""), ("resume/state.json", """{"Step": 960, "Config": "{}"}"""),
            (SweepFolder.ReportFile, """[{"dataset": "emoji", "task": "zeroshot_classification", "metrics": {"acc1": 16.1}}]"""),
            ("report.request.json", """{"checkpoint": "/x/run-003/epoch_020.pt", "dataset": "emoji", "tasks": ["zeroshot_classification"]}"""));

        var (run, _) = SweepFolder.Read(folder, 3, new SweepSelection());

        Assert.Contains("predates events.jsonl", run!.Note);
        Assert.Equal([("val_zeroshot_acc1", 960L, 11.0), ("zeroshot_acc1", 960L, 12.1)], run.Points().Select(p => (p.Name, p.Step, p.Value)).OrderBy(p => p.Name));
        Assert.Equal(16.1, EvalResult.Merge(run.Report!.Results)["acc1"], 6);
        Assert.Equal("/x/run-003/epoch_020.pt", run.Report.Request.Checkpoint);

        var back = SweepRunImport.FromJson(run.ToJson());                               // as the API reads it
        Assert.Equal(run.Points(), back.Points());
        Assert.Equal(run.Note, back.Note);
    }

    [Fact]
    public void OnlyRunsThatEndedAreSentAndAFailedOneSaysSo()
    {
        Run(1, ("sweep-run.json", Config), (SweepFolder.EventsFile, Events(Metrics(2, 4.0))));                            // still training
        Run(2, ("sweep-run.json", Config), (SweepFolder.EventsFile, Events(Metrics(2, double.NaN))), (SweepFolder.OutcomeFile, """{"outcome": "failed"}"""));

        Assert.Equal((null, "not started"), SweepFolder.Read(folder, 0, new SweepSelection()));
        Assert.Equal((null, "not finished"), SweepFolder.Read(folder, 1, new SweepSelection()));
        var (failed, _) = SweepFolder.Read(folder, 2, new SweepSelection());
        Assert.Equal(TrainerEvent.Failed, failed!.Outcome);
        Assert.True(double.IsNaN(SweepRunImport.FromJson(failed.ToJson()).Points().Single().Value));   // a diverged loss travels
        Assert.IsType<JsonObject>(failed.Config);
    }
}
