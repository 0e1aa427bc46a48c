using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Slip.Data.Tests;

/// <summary>A database made by an earlier Slip, upgraded by what a start-up runs (<see cref="SlipStore.MigrateAsync"/>).</summary>
public abstract class UpgradeContractTests(StoreDatabase database)
{
    private const string BeforeBlocks = "WorkerChecks";

    private static readonly DateTime Logged = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    [Fact]
    public async Task Points_stored_a_row_each_are_packed_into_blocks_in_their_order()
    {
        long runId;
        await using (var db = await database.Factory.CreateDbContextAsync())
        {
            var migrations = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(migrations.Single(m => m.EndsWith("_" + BeforeBlocks, StringComparison.Ordinal)));
            var run = new Run { Name = "old", CreatedAt = Logged };   // the runs table is as it was before blocks
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            // Steps out of order, and step 2 of "loss" logged twice: the later row (the greater id) is the later value.
            foreach (var (name, step, value) in new[] { ("loss", 3L, 1.5), ("loss", 1L, 2.5), ("lr", 1L, 1e-3), ("loss", 2L, 2.0), ("loss", 2L, 1.75) })
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO "MetricPoints" ("RunId", "Name", "Step", "Epoch", "Value", "Time") VALUES ({runId}, {name}, {step}, {step / 10.0}, {value}, {Logged.AddSeconds(step)})
                    """);
            }
        }

        await SlipStore.MigrateAsync(database.Factory, CancellationToken.None);

        await using var read = await database.Factory.CreateDbContextAsync();
        Assert.Empty(await read.Database.GetPendingMigrationsAsync());
        var loss = await MetricQueries.SeriesAsync(read, runId, "loss");
        Assert.Equal([1L, 2, 2, 3], loss.Select(p => p.Step));
        Assert.Equal([2.5, 2.0, 1.75, 1.5], loss.Select(p => p.Value));
        Assert.Equal([0.1, 0.2, 0.2, 0.3], loss.Select(p => p.Epoch));
        Assert.All(loss, p => Assert.Equal(Logged.AddSeconds(p.Step), p.Time));
        Assert.Single(await MetricQueries.SeriesAsync(read, runId, "lr"));
        var summary = await read.MetricSummaries.SingleAsync(s => s.RunId == runId && s.Name == "loss");   // backfilled from the blocks
        Assert.Equal((4L, 3L, 1.5), (summary.Count, summary.LastStep, summary.Last));

        // The legacy table is gone, so a second start converts nothing twice.
        await SlipStore.MigrateAsync(database.Factory, CancellationToken.None);
        Assert.Equal(4, (await MetricQueries.SeriesAsync(read, runId, "loss")).Count);
        await Assert.ThrowsAnyAsync<Exception>(() => read.Database.ExecuteSqlRawAsync("""SELECT 1 FROM "LegacyMetricPoints" """));
    }
}

public sealed class UnmigratedPostgresDatabase : PostgresDatabase
{
    protected override bool MigrateOnStart => false;
}

public sealed class UnmigratedSqliteDatabase : SqliteDatabase
{
    protected override bool MigrateOnStart => false;
}

/// <summary>Needs SLIP_TEST_POSTGRES (./test.sh sets it).</summary>
public sealed class PostgresUpgradeTests(UnmigratedPostgresDatabase database) : UpgradeContractTests(database), IClassFixture<UnmigratedPostgresDatabase>;

public sealed class SqliteUpgradeTests(UnmigratedSqliteDatabase database) : UpgradeContractTests(database), IClassFixture<UnmigratedSqliteDatabase>;
