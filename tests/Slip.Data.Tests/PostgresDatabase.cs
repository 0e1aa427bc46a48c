using Npgsql;

namespace Slip.Data.Tests;

/// <summary>A uniquely named PostgreSQL database on the server named by SLIP_TEST_POSTGRES, dropped at the end.</summary>
public class PostgresDatabase : StoreDatabase
{
    public const string AdminVariable = "SLIP_TEST_POSTGRES";

    private readonly string _name = "slip_test_" + Guid.NewGuid().ToString("N");
    private string? _admin;

    public override Type ContextType => typeof(PostgresSlipDbContext);

    protected override async Task<StorageOptions> CreateEmptyDatabaseAsync()
    {
        _admin = Environment.GetEnvironmentVariable(AdminVariable);
        if (string.IsNullOrWhiteSpace(_admin))
        {
            throw new InvalidOperationException(
                $"{AdminVariable} is not set, so the PostgreSQL tests cannot run. Run ./test.sh, which starts PostgreSQL and sets it, "
                + $"or set it to an admin connection string such as Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres.");
        }

        await ExecuteAdminAsync($"CREATE DATABASE \"{_name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString;
        return new StorageOptions { Provider = "Postgres", ConnectionString = connectionString };
    }

    protected override async Task DropDatabaseAsync()
    {
        if (string.IsNullOrWhiteSpace(_admin))
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)");
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
