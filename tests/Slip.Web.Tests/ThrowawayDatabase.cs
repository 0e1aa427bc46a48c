using Npgsql;

namespace Slip.Web.Tests;

/// <summary>
/// A test class's own database on the throwaway PostgreSQL that ./test.sh starts (SLIP_TEST_POSTGRES): named per test
/// instance, created by the app's migration on first use, dropped afterwards.
/// </summary>
public abstract class ThrowawayDatabase(string prefix) : IAsyncLifetime
{
    protected string Database { get; } = $"{prefix}_{Guid.NewGuid():N}";

    /// <summary>The server's admin connection string.</summary>
    protected string Admin { get; private set; } = "";

    /// <summary>A connection string to this test's database.</summary>
    protected string Connection => new NpgsqlConnectionStringBuilder(Admin) { Database = Database }.ConnectionString;

    public Task InitializeAsync()
    {
        Admin = Environment.GetEnvironmentVariable("SLIP_TEST_POSTGRES")
            ?? throw new InvalidOperationException("SLIP_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL and sets it.");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
