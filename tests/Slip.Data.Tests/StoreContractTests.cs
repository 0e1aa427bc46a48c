using Microsoft.EntityFrameworkCore;

namespace Slip.Data.Tests;

/// <summary>Behaviour every provider must show; each provider's test class runs all of it against a real database.</summary>
public abstract class StoreContractTests(StoreDatabase database)
{
    private static readonly DateTime Created = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    [Fact]
    public void Factory_creates_the_provider_context()
    {
        using var db = database.Factory.CreateDbContext();
        Assert.IsType(database.ContextType, db);
    }

    [Fact]
    public async Task Migrations_apply_to_an_empty_database_and_leave_nothing_pending()
    {
        await using var db = await database.Factory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());
        Assert.Equal(0, await db.Runs.CountAsync(r => r.Id < 0));
    }

    [Fact]
    public async Task A_run_with_metrics_and_checkpoints_round_trips()
    {
        var id = await AddSampleRunAsync();

        await using var db = await database.Factory.CreateDbContextAsync();
        var run = await db.Runs.Include(r => r.Checkpoints).SingleAsync(r => r.Id == id);
        var expected = SampleRun();
        Assert.Equal(expected.Name, run.Name);
        Assert.Equal(expected.Objective, run.Objective);
        Assert.Equal(expected.Model, run.Model);
        Assert.Equal(expected.Dataset, run.Dataset);
        Assert.Equal(expected.ConfigJson, run.ConfigJson);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(expected.Error, run.Error);
        Assert.Equal(expected.Worker, run.Worker);
        Assert.Equal(expected.JobId, run.JobId);
        Assert.Equal((expected.Step, expected.TotalSteps, expected.Progress), (run.Step, run.TotalSteps, run.Progress));
        Assert.Equal(expected.LeaseOwner, run.LeaseOwner);
        Assert.True(run.CancelRequested);
        AssertUtc(expected.CreatedAt, run.CreatedAt);
        AssertUtc(expected.StartedAt!.Value, run.StartedAt!.Value);
        AssertUtc(expected.LeaseExpiresAt!.Value, run.LeaseExpiresAt!.Value);
        Assert.Null(run.FinishedAt);

        var point = Assert.Single(await MetricQueries.RunAsync(db, id));
        Assert.Equal(("loss", 10L, 0.5, 2.25), (point.Name, point.Step, point.Epoch, point.Value));
        AssertUtc(Created.AddSeconds(10), point.Time);

        var checkpoint = Assert.Single(run.Checkpoints);
        Assert.Equal((1, 100L, "/data/runs/1/checkpoint_1.pt", 123_456_789_012L), (checkpoint.Epoch, checkpoint.Step, checkpoint.FilePath, checkpoint.Bytes));
        Assert.Equal(new string('a', 64), checkpoint.Sha256);
        AssertUtc(Created.AddMinutes(5), checkpoint.CreatedAt);
    }

    [Fact]
    public async Task Status_is_stored_as_its_name()
    {
        var id = await AddSampleRunAsync();

        await using var db = await database.Factory.CreateDbContextAsync();
        var stored = await db.Database
            .SqlQuery<string>($"SELECT \"Status\" AS \"Value\" FROM \"Runs\" WHERE \"Id\" = {id}")
            .SingleAsync();
        Assert.Equal("Running", stored);
    }

    [Fact]
    public async Task Deleting_a_run_deletes_its_metrics_and_checkpoints()
    {
        var id = await AddSampleRunAsync();
        var other = await AddSampleRunAsync();

        await using var db = await database.Factory.CreateDbContextAsync();
        // ExecuteDelete bypasses the change tracker, so this checks the database's own cascades.
        Assert.Equal(1, await db.Runs.Where(r => r.Id == id).ExecuteDeleteAsync());

        Assert.Equal(0, await db.MetricBlocks.CountAsync(m => m.RunId == id));
        Assert.Equal(0, await db.Checkpoints.CountAsync(c => c.RunId == id));
        Assert.Single(await MetricQueries.RunAsync(db, other));
        Assert.Equal(1, await db.Checkpoints.CountAsync(c => c.RunId == other));
    }

    [Fact]
    public async Task Series_returns_one_metric_after_a_step_in_step_order()
    {
        var id = await AddRunAsync(new Run { Name = "series", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, id,
            [
                new("loss", 3, 0.3, 1.5, Created.AddSeconds(3)),
                new("loss", 1, 0.1, 2.5, Created.AddSeconds(1)),
                new("lr", 2, 0.2, 1e-3, Created.AddSeconds(2)),
                new("loss", 2, 0.2, 2.0, Created.AddSeconds(2)),
            ]);
            Assert.Empty(db.ChangeTracker.Entries());
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var all = await MetricQueries.SeriesAsync(read, id, "loss");
        Assert.Equal([1L, 2L, 3L], all.Select(p => p.Step));
        Assert.Equal([2.5, 2.0, 1.5], all.Select(p => p.Value));
        Assert.All(all, p => Assert.Equal(DateTimeKind.Utc, p.Time.Kind));

        var after = await MetricQueries.SeriesAsync(read, id, "loss", afterStep: 1);
        Assert.Equal([2L, 3L], after.Select(p => p.Step));
    }

    [Fact]
    public async Task Blocks_that_overlap_read_back_in_step_order_the_later_logged_last()
    {
        var id = await AddRunAsync(new Run { Name = "overlap", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, id, Enumerable.Range(10, 11).Select(i => new MetricRow("loss", i, 0, i, Created)).ToList());
            await MetricIngest.WriteAsync(db, id, Enumerable.Range(0, 16).Reverse().Select(i => new MetricRow("loss", i, 1, -i, Created)).ToList());
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var points = await MetricQueries.SeriesAsync(read, id, "loss");
        Assert.Equal(Enumerable.Range(0, 21).SelectMany(i => i is >= 10 and <= 15 ? new long[] { i, i } : [i]), points.Select(p => p.Step));
        // At steps 10-15 the first batch's value comes first, the second's (logged later) last.
        Assert.All(points.Where(p => p.Step is >= 10 and <= 15).Chunk(2), pair => Assert.Equal((0.0, 1.0), (pair[0].Epoch, pair[1].Epoch)));
        Assert.Equal([12L, 12, 13, 13], (await MetricQueries.ReadAsync(read, id, "loss", 12, 13).ToListAsync()).Select(p => p.Step));
    }

    [Fact]
    public async Task A_read_sees_the_blocks_as_they_were_when_it_began()
    {
        var id = await AddRunAsync(new Run { Name = "snapshot", CreatedAt = Created });
        const int N = 200_000;   // 13 blocks: more than one fetch's worth, had the blocks been fetched in groups
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, id, Enumerable.Range(0, N).Select(i => new MetricRow("loss", i, 0, i, Created)).ToList());
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var steps = new List<long>();
        await foreach (var chunk in MetricQueries.ReadChunksAsync(read, id, "loss", 0, long.MaxValue))
        {
            if (steps.Count == 0)
            {
                // Another connection replaces the blocks (as a merge does) while this read is under way.
                await using var other = await database.Factory.CreateDbContextAsync();
                Assert.Equal(13, await other.MetricBlocks.Where(b => b.RunId == id).ExecuteDeleteAsync());
            }

            steps.AddRange(chunk.Select(p => p.Step));
        }

        Assert.Equal(Enumerable.Range(0, N).Select(i => (long)i), steps);
    }

    [Fact]
    public async Task Small_batches_are_merged_into_few_blocks_and_read_back_unchanged()
    {
        var id = await AddRunAsync(new Run { Name = "live", CreatedAt = Created });
        var logged = new List<MetricRow>();
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            // Live logging: a learning rate and one or two losses a batch (every seventh step logged twice), 600 batches.
            for (var step = 0; step < 600; step++)
            {
                var batch = step % 7 == 0
                    ? new List<MetricRow> { new("loss", step, 0, step, Created), new("lr", step, 0, 1.0 / (step + 1), Created), new("loss", step, 0, -step, Created) }
                    : [new("lr", step, 0, 1.0 / (step + 1), Created), new("loss", step, 0, step, Created)];
                await MetricIngest.WriteAsync(db, id, batch);
                logged.AddRange(batch);
            }
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        foreach (var name in new[] { "loss", "lr" })
        {
            var counts = await read.MetricBlocks.Where(b => b.RunId == id && b.Name == name).OrderBy(b => b.Id).Select(b => b.Count).ToListAsync();
            var expected = logged.Where(p => p.Name == name).ToList();
            Assert.Equal(expected.Count, counts.Sum());
            Assert.InRange(counts.Count, 2, 3 * (MetricCompaction.Fanout - 1));
            Assert.True(counts.Count(c => MetricCompaction.Class(c) == 0) < MetricCompaction.Fanout);
            Assert.Equal(expected.Select(p => (p.Step, p.Value)), (await MetricQueries.SeriesAsync(read, id, name)).Select(p => (p.Step, p.Value)));
        }

        Assert.Equal(-595.0, (await read.MetricSummaries.SingleAsync(s => s.RunId == id && s.Name == "loss")).Min);
    }

    [Fact]
    public async Task Ingest_keeps_a_summary_per_metric_across_batches()
    {
        var id = await AddRunAsync(new Run { Name = "summary", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, id, [new("loss", 10, 0, 3.0, Created), new("loss", 20, 0, 1.0, Created), new("clip_acc", 20, 0, 40, Created)]);
            await MetricIngest.WriteAsync(db, id, [new("loss", 30, 1, 2.0, Created.AddSeconds(5)), new("loss", 5, 0, double.NaN, Created), new("clip_acc", 30, 1, 35, Created)]);
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var loss = await read.MetricSummaries.SingleAsync(s => s.RunId == id && s.Name == "loss");
        Assert.Equal((4L, 5L, 30L, 2.0), (loss.Count, loss.FirstStep, loss.LastStep, loss.Last));
        Assert.Equal((1.0, 20L, 3.0, 10L), (loss.Min, loss.MinStep, loss.Max, loss.MaxStep));   // the NaN moves neither
        Assert.Equal((1.0, 20L), (loss.Best, loss.BestStep));                                     // lower is better for a loss
        var acc = await read.MetricSummaries.SingleAsync(s => s.RunId == id && s.Name == "clip_acc");
        Assert.Equal((40.0, 20L, 35.0), (acc.Best, acc.BestStep, acc.Last));                      // higher is better otherwise
        // The NaN point is kept with the others, on both providers.
        var stored = await MetricQueries.SeriesAsync(read, id, "loss");
        Assert.Equal([5L, 10, 20, 30], stored.Select(p => p.Step));
        Assert.Equal([double.NaN, 3.0, 1.0, 2.0], stored.Select(p => p.Value));
    }

    [Fact]
    public async Task Points_stored_before_summaries_existed_are_summarised_once_on_upgrade()
    {
        var id = await AddRunAsync(new Run { Name = "old", CreatedAt = Created });
        await using var db = await database.Factory.CreateDbContextAsync();
        // Each contract test shares the database: start from no summaries, as an upgraded database does.
        await db.MetricSummaries.ExecuteDeleteAsync();
        await db.MetricRollups.ExecuteDeleteAsync();
        var rows = Enumerable.Range(0, 40).Select(i => new MetricRow("loss", i, 0, 40 - i, Created)).ToList();
        db.MetricBlocks.Add(MetricBlockCodec.Pack(id, rows, 0, rows.Count));
        await db.SaveChangesAsync();

        await MetricIngest.BackfillAsync(db);
        var summary = await db.MetricSummaries.AsNoTracking().SingleAsync(s => s.RunId == id);
        Assert.Equal((40L, 39L, 1.0, 39L), (summary.Count, summary.LastStep, summary.Min, summary.MinStep));
        Assert.Equal(1, await db.MetricRollups.CountAsync(r => r.RunId == id && r.Level == MetricRollup.FirstLevel));   // steps 0-255
        Assert.Equal(40, await db.MetricRollups.Where(r => r.RunId == id && r.Level == MetricRollup.FirstLevel).SumAsync(r => r.Count));
        Assert.Equal(0, await db.MetricRollups.CountAsync(r => r.RunId == id && r.Level < MetricRollup.FirstLevel));

        await MetricIngest.BackfillAsync(db);   // summaries exist now: nothing is counted twice
        Assert.Equal(40L, (await db.MetricSummaries.AsNoTracking().SingleAsync(s => s.RunId == id)).Count);
    }

    [Fact]
    public async Task A_resume_moves_the_lost_attempts_later_points_aside_and_counts_nothing_twice()
    {
        var id = await AddRunAsync(new Run { Name = "resumed", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            // Attempt 1 logs steps 0..99 (the minimum 0.5 at step 80), crashes; its last checkpoint was at step 60.
            await MetricIngest.WriteAsync(db, id, Enumerable.Range(0, 100).Select(i => new MetricRow("loss", i, i / 10.0, i == 80 ? 0.5 : i == 90 ? double.NaN : 10 - (i / 100.0), Created.AddSeconds(i))).ToList());
            Assert.Equal(39, await MetricSupersede.RewindAsync(db, id, afterStep: 60, attempt: 1));

            // Attempt 2 logs steps 61..119 again.
            await MetricIngest.WriteAsync(db, id, Enumerable.Range(61, 59).Select(i => new MetricRow("loss", i, i / 10.0, 20 - (i / 100.0), Created.AddSeconds(1000 + i))).ToList());
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var steps = (await MetricQueries.RunAsync(read, id)).Select(p => p.Step).ToList();
        Assert.Equal(Enumerable.Range(0, 120).Select(i => (long)i), steps.Order());
        var moved = await read.SupersededMetricPoints.Where(p => p.RunId == id).OrderBy(p => p.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(61, 39).Select(i => (long)i), moved.Select(p => p.Step));
        Assert.All(moved, p => Assert.Equal(1, p.Attempt));
        Assert.Equal(0.5, moved.Single(p => p.Step == 80).Value);
        Assert.Null(moved.Single(p => p.Step == 90).Value);   // a NaN, kept as null on both providers

        var summary = await read.MetricSummaries.AsNoTracking().SingleAsync(s => s.RunId == id);
        Assert.Equal((120L, 119L, 0L), (summary.Count, summary.LastStep, summary.FirstStep));
        Assert.Equal(20 - 1.19, summary.Last, 12);
        Assert.Equal((10 - 0.6, 60L), (summary.Min, summary.MinStep));   // the lost attempt's 0.5 is not the best any more
        Assert.Equal(120, await read.MetricRollups.Where(r => r.RunId == id && r.Level == MetricRollup.FirstLevel).SumAsync(r => r.Count));
        Assert.Equal(120, await read.MetricRollups.Where(r => r.RunId == id && r.Level == MetricRollup.Levels).SumAsync(r => r.Count));

        // Nothing after the step: nothing moves and the summaries stay.
        await using var again = await database.Factory.CreateDbContextAsync();
        Assert.Equal(0, await MetricSupersede.RewindAsync(again, id, afterStep: 119, attempt: 2));
        Assert.Equal(120L, (await again.MetricSummaries.AsNoTracking().SingleAsync(s => s.RunId == id)).Count);
    }

    [Fact]
    public async Task Downsampling_keeps_every_spike_and_the_last_value_per_bucket_at_any_zoom()
    {
        var id = await AddRunAsync(new Run { Name = "long", CreatedAt = Created });
        const int N = 50_000;
        var values = Enumerable.Range(0, N).Select(i => Math.Sin(i / 500.0)).ToArray();
        values[31_337] = 50;    // one spike a random sample would miss
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            foreach (var chunk in Enumerable.Range(0, N).Chunk(10_000))
            {
                await MetricIngest.WriteAsync(db, id, chunk.Select(i => new MetricRow("loss", i, i / 1000.0, values[i], Created.AddSeconds(i))).ToList());
            }
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var whole = await MetricSeries.DownsampleAsync(read, id, "loss", buckets: 1000);
        Assert.False(whole.Raw);
        Assert.InRange(whole.Points.Count, 900, 1000);
        Assert.Equal(N, whole.Points.Sum(p => p.Count));
        Assert.Equal(50, whole.Points.Max(p => p.Max));
        Assert.Equal(values.Where(v => v < 50).Min(), whole.Points.Min(p => p.Min), 12);
        Assert.Equal((long)N - 1, whole.Points[^1].Step);
        Assert.Equal(values[^1], whole.Points[^1].Last, 12);
        Assert.Equal(Created.AddSeconds(N - 1), whole.Points[^1].Time);
        Assert.True(whole.Points.Zip(whole.Points.Skip(1)).All(p => p.First.Step < p.Second.Step));

        // Zoomed into 500 steps: the points themselves.
        var zoomed = await MetricSeries.DownsampleAsync(read, id, "loss", from: 31_000, to: 31_499, buckets: 1000);
        Assert.True(zoomed.Raw);
        Assert.Equal(Enumerable.Range(31_000, 500).Select(i => (long)i), zoomed.Points.Select(p => p.Step));
        Assert.Equal(values[31_337], zoomed.Points.Single(p => p.Step == 31_337).Last);

        // A middle zoom is bucketed from the points, every value inside its bucket's band.
        var middle = await MetricSeries.DownsampleAsync(read, id, "loss", from: 30_000, to: 39_999, buckets: 1000);
        Assert.Equal(10_000, middle.Points.Sum(p => p.Count));
        Assert.All(middle.Points, p => Assert.InRange(p.Last, p.Min, p.Max));
        Assert.Empty((await MetricSeries.DownsampleAsync(read, id, "missing")).Points);
    }

    [Fact]
    public async Task Smoothing_runs_on_every_point_and_matches_tensorboards_debiased_ema()
    {
        var id = await AddRunAsync(new Run { Name = "smooth", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricIngest.WriteAsync(db, id, [new("loss", 0, 0, 1, Created), new("loss", 1, 0, 2, Created), new("loss", 2, 0, 4, Created)]);
        }

        await using var read = await database.Factory.CreateDbContextAsync();
        var ema = await Smoothing.Parse("ema:0.5")!.SeriesAsync(read, id, "loss", null, null, 100);
        // last = 0.5, 1.25, 2.625; debiased by 1 - 0.5^n = 0.5, 0.75, 0.875.
        Assert.Equal([1.0, 1.25 / 0.75, 2.625 / 0.875], ema.Points.Select(p => p.Last).ToArray());
        var mean = await Smoothing.Parse("mean:2")!.SeriesAsync(read, id, "loss", null, null, 100);
        Assert.Equal([1.0, 1.5, 3.0], mean.Points.Select(p => p.Last).ToArray());
        Assert.Null(Smoothing.Parse("ema:1"));
        Assert.Null(Smoothing.Parse("gaussian:3"));
    }

    /// <summary>The sample run with one checkpoint and one metric point (points are not children of runs in the model).</summary>
    private async Task<long> AddSampleRunAsync()
    {
        var id = await AddRunAsync(SampleRun());
        await using var db = await database.Factory.CreateDbContextAsync();
        await MetricIngest.WriteAsync(db, id, [new MetricRow("loss", 10, 0.5, 2.25, Created.AddSeconds(10))]);
        return id;
    }

    private async Task<long> AddRunAsync(Run run)
    {
        await using var db = await database.Factory.CreateDbContextAsync();
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static Run SampleRun() => new()
    {
        Name = "slip-vit-ti-shapes",
        Objective = "SLIP",
        Model = "ViT-Ti/16",
        Dataset = "synthetic-shapes",
        ConfigJson = """{"objective":"SLIP","epochs":2,"note":"ünïcode"}""",
        Status = RunStatus.Running,
        CreatedAt = Created,
        // Microsecond precision: PostgreSQL timestamps hold no finer.
        StartedAt = Created.AddSeconds(1).AddTicks(1230),
        Worker = "gpu-host:cuda:0",
        JobId = "42",
        Step = 100,
        TotalSteps = 1000,
        Progress = 0.1,
        LeaseOwner = "gpu-host/worker-1",
        LeaseExpiresAt = Created.AddMinutes(2),
        CancelRequested = true,
        Checkpoints =
        [
            new Checkpoint
            {
                Epoch = 1, Step = 100, FilePath = "/data/runs/1/checkpoint_1.pt", Bytes = 123_456_789_012L,
                Sha256 = new string('a', 64), CreatedAt = Created.AddMinutes(5),
            },
        ],
    };

    private static void AssertUtc(DateTime expected, DateTime actual)
    {
        Assert.Equal(DateTimeKind.Utc, actual.Kind);
        Assert.Equal(expected, actual);
    }
}
