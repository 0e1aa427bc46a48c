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
        var id = await AddRunAsync(SampleRun());

        await using var db = await database.Factory.CreateDbContextAsync();
        var run = await db.Runs.Include(r => r.Metrics).Include(r => r.Checkpoints).SingleAsync(r => r.Id == id);
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

        var point = Assert.Single(run.Metrics);
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
        var id = await AddRunAsync(SampleRun());

        await using var db = await database.Factory.CreateDbContextAsync();
        var stored = await db.Database
            .SqlQuery<string>($"SELECT \"Status\" AS \"Value\" FROM \"Runs\" WHERE \"Id\" = {id}")
            .SingleAsync();
        Assert.Equal("Running", stored);
    }

    [Fact]
    public async Task Deleting_a_run_deletes_its_metrics_and_checkpoints()
    {
        var id = await AddRunAsync(SampleRun());
        var other = await AddRunAsync(SampleRun());

        await using var db = await database.Factory.CreateDbContextAsync();
        // ExecuteDelete bypasses the change tracker, so this checks the database's own ON DELETE CASCADE.
        Assert.Equal(1, await db.Runs.Where(r => r.Id == id).ExecuteDeleteAsync());

        Assert.Equal(0, await db.MetricPoints.CountAsync(m => m.RunId == id));
        Assert.Equal(0, await db.Checkpoints.CountAsync(c => c.RunId == id));
        Assert.Equal(1, await db.MetricPoints.CountAsync(m => m.RunId == other));
        Assert.Equal(1, await db.Checkpoints.CountAsync(c => c.RunId == other));
    }

    [Fact]
    public async Task Series_returns_one_metric_after_a_step_in_step_order()
    {
        var id = await AddRunAsync(new Run { Name = "series", CreatedAt = Created });
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            await MetricQueries.AddPointsAsync(db, id,
            [
                ("loss", 3, 0.3, 1.5, Created.AddSeconds(3)),
                ("loss", 1, 0.1, 2.5, Created.AddSeconds(1)),
                ("lr", 2, 0.2, 1e-3, Created.AddSeconds(2)),
                ("loss", 2, 0.2, 2.0, Created.AddSeconds(2)),
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
        Metrics = [new MetricPoint { Name = "loss", Step = 10, Epoch = 0.5, Value = 2.25, Time = Created.AddSeconds(10) }],
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
