using System.Diagnostics;
using Slip.Training.Cli;

namespace Slip.Training.Tests;

/// <summary>
/// Never two trainers on one run: a trainer whose worker is gone (its stdin closed) stops at once, and a second
/// trainer on a folder another holds fails at once.
/// </summary>
public sealed class StdinWatchTests
{
    [Fact]
    public async Task ATrainerStartedByAWorkerKillsItselfWhenTheWorkersEndOfItsStdinCloses()
    {
        var folder = Directory.CreateTempSubdirectory("slip-orphan-").FullName;
        try
        {
            var config = Path.Combine(folder, "run.json");
            File.WriteAllText(config, TinyConfigs.Slip(epochs: 200).ToJson());
            var start = new ProcessStartInfo(DotnetHost.Path()) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll"), "train", "--config", config, "--out", Path.Combine(folder, "out"), "--progress", "json" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment[StdinWatch.ExitWithParentVariable] = "1";
            using var trainer = Process.Start(start)!;
            var stderr = trainer.StandardError.ReadToEndAsync();
            while (await trainer.StandardOutput.ReadLineAsync() is { } line && !line.Contains("\"metrics\"", StringComparison.Ordinal))
            {
            }

            trainer.StandardInput.Close();   // what the worker's death does to the child's stdin
            var clock = Stopwatch.StartNew();
            _ = trainer.StandardOutput.ReadToEndAsync();

            var exited = trainer.WaitForExit(TimeSpan.FromSeconds(15));
            if (!exited)
            {
                trainer.Kill(entireProcessTree: true);
            }

            Assert.True(exited, "the trainer went on training after its worker was gone");
            Assert.Contains("The worker that started this process is gone", await stderr);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ASecondTrainerOnTheSameFolderFailsAtOnceWhileTheFirstHoldsIt()
    {
        var folder = Directory.CreateTempSubdirectory("slip-two-trainers-").FullName;
        try
        {
            var output = Path.Combine(folder, "out");
            var config = Path.Combine(folder, "run.json");
            File.WriteAllText(config, TinyConfigs.Slip(epochs: 200).ToJson());
            var start = new ProcessStartInfo(DotnetHost.Path()) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll"), "train", "--config", config, "--out", output, "--progress", "json" })
            {
                start.ArgumentList.Add(argument);
            }

            using var first = Process.Start(start)!;
            try
            {
                _ = first.StandardError.ReadToEndAsync();
                while (await first.StandardOutput.ReadLineAsync() is { } line && !line.Contains("\"metrics\"", StringComparison.Ordinal))
                {
                }

                var events = new List<TrainerEvent>();
                var outcome = new Trainer(TinyConfigs.Slip(epochs: 200), output, events.Add, () => false, resume: true).Run();

                Assert.Equal(TrainingOutcome.Failed, outcome);
                Assert.StartsWith("Another trainer is writing to", events.Single(e => e.Type == TrainerEvent.Failed).Message);
                Assert.False(first.HasExited);   // the first goes on
            }
            finally
            {
                first.Kill(entireProcessTree: true);
                first.WaitForExit();
            }

            // Once the first is gone (killed, here), the kernel has released its lock: the folder is free again.
            using var again = new FileStream(Path.Combine(output, ".trainer.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
