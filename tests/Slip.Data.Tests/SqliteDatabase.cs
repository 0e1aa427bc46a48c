using Microsoft.Data.Sqlite;

namespace Slip.Data.Tests;

/// <summary>A fresh SQLite file in a temporary directory, deleted at the end.</summary>
public class SqliteDatabase : StoreDatabase
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "slip-data-tests-" + Guid.NewGuid().ToString("N"));

    public override Type ContextType => typeof(SqliteSlipDbContext);

    public string FilePath => Path.Combine(_directory, "db", "slip.db");

    protected override Task<StorageOptions> CreateEmptyDatabaseAsync() =>
        Task.FromResult(new StorageOptions { Provider = "Sqlite", ConnectionString = $"Data Source={FilePath}" });

    protected override Task DropDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
