using Slip.Training.Sweeps;

namespace Slip.Training.Tests;

/// <summary>Sweeps: a base config over a grid and seeds, expanded through the one cascade, validated before anything runs.</summary>
public sealed class SweepTests
{
    private static SweepDefinition Sweep(string grid, string seeds = "[0, 1]", string extra = "") => SweepDefinition.FromJson(
        $$$"""{"name": "lr-by-objective", "base": {"model": "Micro", "data": {"dataset": "shapes-mini"}}, "grid": {{{grid}}}, "seeds": {{{seeds}}}{{{extra}}}}""");

    [Fact]
    public void AGridOverObjectivesGivesEachItsRecipeExceptTheKeysTheGridSets()
    {
        var plan = SweepPlan.Expand(Sweep("""{"objective": ["Clip", "Slip"], "learningRate": [1e-3, 3e-3]}"""));
        Assert.Empty(plan.Errors);
        Assert.Equal(8, plan.Runs.Count);                                          // 2 objectives x 2 rates x 2 seeds
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], plan.Runs.Select(r => r.Config.Seed));
        Assert.All(plan.Runs, r => Assert.Equal(r.Values["optim.learningRate"]!.GetValue<double>(), r.Config.Optim.LearningRate));
        var clip = plan.Runs.Where(r => r.Config.Objective == Objective.Clip).ToList();
        Assert.All(clip, r => Assert.Equal((0.5, "objective=Clip"), (r.Config.Optim.WeightDecay, r.Arm)));   // CLIP's recipe weight decay
        Assert.All(plan.Runs.Except(clip), r => Assert.Equal((0.1, "objective=Slip"), (r.Config.Optim.WeightDecay, r.Arm)));
        Assert.All(plan.Runs, r => Assert.Equal(("Micro", "shapes-mini"), (r.Config.Model, r.Config.Data.Dataset)));
        Assert.Equal(4, plan.Runs.Select(r => r.Point).Distinct().Count());
        Assert.All(plan.Runs, r => Assert.True(r.Config.Eval.Validate));                // selecting on val measures it
        Assert.Equal("val_zeroshot_acc1", new SweepSelection().LoggedMetric);
    }

    [Theory]
    [InlineData("""{}""", "", "grid", "The grid is empty")]
    [InlineData("""{"optim.learningRat": [1e-3]}""", "", "grid.optim.learningRat", "Did you mean 'optim.learningRate'?")]
    [InlineData("""{"seed": [1, 2]}""", "", "grid.seed", "\"seeds\"")]
    [InlineData("""{"optim.batchSize": [16, 0]}""", "", "grid.optim.batchSize", "optim.batchSize=0")]
    [InlineData("""{"optim.learningRate": []}""", "", "grid.optim.learningRate", "has no values")]
    [InlineData("""{"objective": ["Clip"], "optim.learningRate": ["fast"]}""", "", "grid.optim.learningRate", "wrong type (a number)")]
    [InlineData("""{"optim.learningRate": [1e-3]}""", ", \"name\": \" \"", "name", "Name the sweep")]
    [InlineData("""{"optim.learningRate": [1e-3, 2e-3]}""", ", \"random\": {\"budget\": 3}", "random", "1 to 2 of the grid's 2 combinations")]
    [InlineData("""{"optim.learningRate": [1e-3]}""", ", \"arms\": [\"objectiv\"]", "arms", "Unknown config key 'objectiv'")]
    public void ABadSweepPlansNothingAndSaysWhereItIsWrong(string grid, string extra, string field, string message)
    {
        var plan = SweepPlan.Expand(Sweep(grid, extra: extra));
        Assert.Empty(plan.Runs);
        Assert.Contains(plan.Errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void MoreThan500RunsNeedConfirmation()
    {
        var rates = "[" + string.Join(", ", Enumerable.Range(1, 26).Select(i => $"{i}e-4")) + "]";
        var grid = $$"""{"optim.learningRate": {{rates}}, "optim.weightDecay": [0.05, 0.1, 0.2, 0.5, 0.7, 0.9, 1.0, 1.5, 2.0, 3.0]}""";
        var refused = SweepPlan.Expand(Sweep(grid, "[0, 1]"));
        Assert.Contains(refused.Errors, e => e.Field == "runs" && e.Message.Contains("520 runs", StringComparison.Ordinal));
        Assert.Equal(520, SweepPlan.Expand(Sweep(grid, "[0, 1]", ", \"confirm\": true")).Runs.Count);
    }

    [Fact]
    public void RandomSearchDrawsDistinctCombinationsReproducibly()
    {
        var grid = """{"optim.learningRate": [1e-4, 3e-4, 1e-3, 3e-3], "optim.weightDecay": [0.05, 0.1, 0.5]}""";
        var first = SweepPlan.Expand(Sweep(grid, "[0]", ", \"random\": {\"budget\": 5, \"seed\": 7}"));
        var again = SweepPlan.Expand(Sweep(grid, "[0]", ", \"random\": {\"budget\": 5, \"seed\": 7}"));
        Assert.Equal(5, first.Runs.Select(r => r.Point).Distinct().Count());
        Assert.Equal(first.Runs.Select(r => r.Point), again.Runs.Select(r => r.Point));
        Assert.NotEqual(first.Runs.Select(r => r.Point), SweepPlan.Expand(Sweep(grid, "[0]", ", \"random\": {\"budget\": 5, \"seed\": 8}")).Runs.Select(r => r.Point));
    }

    [Fact]
    public void EachArmsBestIsChosenOnValidationAmongCombinationsScoredOnEverySeed()
    {
        var plan = SweepPlan.Expand(Sweep("""{"objective": ["Clip", "Slip"], "learningRate": [1e-3, 3e-3]}"""));
        double Val(PlannedRun r) => (r.Config.Objective, r.Config.Optim.LearningRate) switch
        {
            (Objective.Clip, 1e-3) => 30 + r.Seed,
            (Objective.Clip, _) => 20 + r.Seed,
            (_, 1e-3) => 50 + r.Seed,      // SLIP's best on validation, but seed 1 failed
            _ => 40 + (2 * r.Seed),
        };
        var scores = plan.Runs.Where(r => !(r.Config.Objective == Objective.Slip && r.Config.Optim.LearningRate == 1e-3 && r.Seed == 1))
            .Select(r => new SweepRunScores(r.Index, Val(r), new Dictionary<string, double> { ["zeroshot_acc1"] = Val(r) - 5 })).ToList();

        var arms = SweepSelector.Select(plan, new SweepSelection(), scores);
        var clip = arms.Single(a => a.Arm == "objective=Clip");
        var slip = arms.Single(a => a.Arm == "objective=Slip");
        Assert.Equal("objective=\"Clip\", optim.learningRate=1e-3", clip.Best!.Point);
        Assert.Equal((30.5, 25.5), (clip.Best.Selection.Mean, clip.Best.Test["zeroshot_acc1"].Mean));
        Assert.Equal("objective=\"Slip\", optim.learningRate=3e-3", slip.Best!.Point);        // the incomplete 1e-3 cannot be chosen
        Assert.Equal((41.0, Math.Sqrt(2)), (slip.Best.Selection.Mean, slip.Best.Selection.Std));
        Assert.True(slip.Best.Test["zeroshot_acc1"].DiffersBeyondNoise(clip.Best.Test["zeroshot_acc1"]));
        Assert.False(new Stat(30, 5, 3).DiffersBeyondNoise(new Stat(32, 5, 3)));
        Assert.Null(new Stat(30, null, 1).DiffersBeyondNoise(new Stat(32, 5, 3)));
    }

    [Fact]
    public void AFailedAttemptIsTriedAgainFromItsFolderAndARunThatKeepsFailingIsLeftOutOfTheScores()
    {
        var plan = SweepPlan.Expand(Sweep("""{"learningRate": [1e-3, 3e-3]}""", seeds: "[0]"));
        var folder = Directory.CreateTempSubdirectory("slip-sweep-retry-").FullName;
        try
        {
            var calls = new List<string>();
            SweepTrainer flaky = (config, dir, emit, cancelled) =>
            {
                calls.Add(Path.GetFileName(dir));
                if (calls.Count == 1 || config.Optim.LearningRate == 3e-3)
                {
                    return TrainingOutcome.Failed;   // run 0 crashes once; run 1 every time
                }

                emit(new TrainerEvent { Type = TrainerEvent.Metrics, Values = new() { ["val_zeroshot_acc1"] = 50, ["zeroshot_acc1"] = 40, ["loss"] = 1 } });
                return TrainingOutcome.Completed;
            };
            var outcomes = new List<TrainingOutcome>();

            var scores = SweepRunner.Run(plan, new SweepSelection(), folder, flaky, (_, outcome) => outcomes.Add(outcome), () => false);

            Assert.Equal(["run-000", "run-000", "run-001", "run-001", "run-001"], calls);
            Assert.Equal([TrainingOutcome.Completed, TrainingOutcome.Failed], outcomes);
            var score = Assert.Single(scores);
            Assert.Equal((0, 50.0), (score.RunIndex, score.Selection!.Value));
            Assert.Equal(["zeroshot_acc1"], score.Test.Keys);
            Assert.True(File.Exists(Path.Combine(folder, "run-000", "scores.json")));
            Assert.False(File.Exists(Path.Combine(folder, "run-001", "scores.json")));
            Assert.Contains("\"failed\"", File.ReadAllText(Path.Combine(folder, "run-001", SweepFolder.OutcomeFile)));   // how it ended, for sweep push
            Assert.False(File.Exists(Path.Combine(folder, "run-000", SweepFolder.OutcomeFile)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
