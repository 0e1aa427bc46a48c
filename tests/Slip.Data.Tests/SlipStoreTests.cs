using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Slip.Data.Tests;

public sealed class SlipStoreTests
{
    [Fact]
    public void Unknown_provider_is_rejected_naming_the_valid_values()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ServiceCollection().AddSlipStore(new StorageOptions { Provider = "MySql" }));
        Assert.Contains("MySql", error.Message);
        Assert.Contains("Sqlite", error.Message);
        Assert.Contains("Postgres", error.Message);
    }

    [Fact]
    public void Postgres_without_a_connection_string_is_rejected()
    {
        Assert.Throws<ArgumentException>(() =>
            new ServiceCollection().AddSlipStore(new StorageOptions { Provider = "Postgres" }));
    }

    [Fact]
    public void Provider_names_are_case_insensitive()
    {
        using var services = new ServiceCollection()
            .AddSlipStore(new StorageOptions { Provider = "postgres", ConnectionString = "Host=localhost;Database=slip" })
            .BuildServiceProvider();
        using var db = services.GetRequiredService<IDbContextFactory<SlipDbContext>>().CreateDbContext();
        Assert.IsType<PostgresSlipDbContext>(db);
    }

    [Fact]
    public async Task Sqlite_store_creates_its_directory_and_uses_wal()
    {
        var root = Path.Combine(Path.GetTempPath(), "slip-data-tests-" + Guid.NewGuid().ToString("N"));
        var file = Path.Combine(root, "a", "b", "slip.db");
        try
        {
            await using (var services = new ServiceCollection()
                .AddSlipStore(new StorageOptions { ConnectionString = $"Data Source={file}" })
                .BuildServiceProvider())
            {
                var factory = services.GetRequiredService<IDbContextFactory<SlipDbContext>>();
                await SlipStore.MigrateAsync(factory, CancellationToken.None);
                await using var db = await factory.CreateDbContextAsync();
                Assert.Equal("wal", await Pragma(db, "journal_mode"));
                Assert.Equal(10000L, long.Parse(await Pragma(db, "busy_timeout"), System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.True(File.Exists(file));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(typeof(SqliteSlipDbContext))]
    [InlineData(typeof(PostgresSlipDbContext))]
    public void Migrations_match_the_model(Type contextType)
    {
        using var db = DesignContext(contextType);
        Assert.False(db.Database.HasPendingModelChanges());
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    private static SlipDbContext DesignContext(Type contextType) => contextType == typeof(SqliteSlipDbContext)
        ? new SqliteSlipDbContext(new DbContextOptionsBuilder<SqliteSlipDbContext>().UseSqlite("Data Source=:memory:").Options)
        : new PostgresSlipDbContext(new DbContextOptionsBuilder<PostgresSlipDbContext>().UseNpgsql("Host=localhost;Database=slip").Options);

    private static async Task<string> Pragma(DbContext db, string name)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA {name}";
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
