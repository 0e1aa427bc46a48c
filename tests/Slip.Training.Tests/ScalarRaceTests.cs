using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Tests;

/// <summary>
/// TorchSharp 0.107 frees a <c>Scalar</c> in its finalizer, and its methods pass a Scalar's handle to libtorch without
/// keeping the Scalar alive; an implicit one (<c>t + u</c> passes alpha = 1, <c>t * 0.5</c> converts 0.5) can be
/// collected and freed while libtorch still reads it ("Unknown scalar type", or Scalar::toFloat's check). In a trainer
/// that takes a garbage collection on another thread (the batch loader's) during the call, which is rare; these tests
/// make it likely by collecting and finalizing on another thread without pause while the code runs. The harness's loop
/// of implicit Scalars fails within a second or so; before the trainer held its Scalars, 3 of 8 training runs here
/// crashed in one pass; code that holds every Scalar it passes does not fail at all.
/// </summary>
[Collection(GlobalTorchState.Name)]
public sealed class ScalarRaceTests
{
    /// <summary>SLIP runs both the CLIP and the SimCLR paths, so CLIP and SimCLR alone are not repeated here.</summary>
    public static TheoryData<string> Runs => ["slip", "slip-mocov3", "slip-byol", "slip-mim", "slip-bf16", "simclr-accumulated"];

    [Fact]
    public void TheHarnessCatchesAnImplicitScalar()
    {
        // What the harness exists to catch does fail under it: t.add_(0.5), where TorchSharp passes its own implicit
        // alpha = 1 (and the caller an implicit 0.5).
        using var t = ones(64, 64);
        Assert.ThrowsAny<Exception>(() => UnderCollection(() =>
        {
            for (var i = 0; i < 1_000_000; i++)
            {
                t.add_(0.5);
            }

            return 0;
        }));
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void TrainingPassesNoScalarTheCollectorCanFree(string name)
    {
        var config = EvaluatedRuns.Config(name);
        var dir = Directory.CreateTempSubdirectory("slip-scalars-").FullName;
        try
        {
            var events = new List<TrainerEvent>();
            var outcome = UnderCollection(() => new Trainer(config, dir, events.Add, () => false).Run());
            Assert.True(outcome == TrainingOutcome.Completed, string.Join("\n", events.Where(e => e.Type == TrainerEvent.Failed).Select(e => e.Message)));
            Assert.Contains(events, e => e.Values?.ContainsKey(MetricNames.LinearProbeAcc1) == true);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EvaluationsPassNoScalarTheCollectorCanFree()
    {
        var config = EvaluatedRuns.Config("slip");
        using var model = new SlipModel(config);
        model.eval();
        var results = EvaluatedRuns.EveryEvaluation(model, config, UnderCollection);
        Assert.All(results, r => Assert.All(r.Values, v => Assert.False(double.IsNaN(v))));
    }


    /// <summary>Runs the work while another thread collects and runs finalizers without pause.</summary>
    private static T UnderCollection<T>(Func<T> work)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Young collections: the Scalars in question are young, and these are quick even with a trainer's heap.
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        })
        { IsBackground = true };
        collector.Start();
        try
        {
            return work();
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}
