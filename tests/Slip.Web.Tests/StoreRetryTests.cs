using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Slip.Web.Hosting;

namespace Slip.Web.Tests;

public sealed class StoreRetryTests
{
    public static TheoryData<Exception, bool> Faults => new()
    {
        { new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)), true },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"), true },
        { new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"), true },
        { new PostgresException("could not serialize access", "ERROR", "ERROR", "40001"), true },
        { new DbUpdateException("saving", new PostgresException("connection failure", "FATAL", "FATAL", "08006")), true },
        { new SqliteException("database is locked", 5), true },
        { new DbUpdateException("saving", new PostgresException("duplicate key value", "ERROR", "ERROR", "23505")), false },
        { new PostgresException("syntax error", "ERROR", "ERROR", "42601"), false },
        { new SqliteException("constraint failed", 19), false },
        { new IOException("checkpoint file vanished"), false },
        { new ArgumentOutOfRangeException("points", "negative step"), false },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void OnlyTransientStoreFaultsAreRetried(Exception fault, bool transient) =>
        Assert.Equal(transient, StoreRetry.IsStoreFault(fault));

    [Fact]
    public async Task APermanentFaultIsThrownAtOnceAndATransientOneRetriedUntilItPasses()
    {
        var tries = 0;
        await StoreRetry.RunAsync(() => ++tries < 3 ? throw new SqliteException("database is locked", 5) : Task.CompletedTask, NullLogger.Instance, "a write", CancellationToken.None);
        Assert.Equal(3, tries);

        var permanent = 0;
        await Assert.ThrowsAsync<DbUpdateException>(() => StoreRetry.RunAsync(() => { permanent++; throw new DbUpdateException("saving", new PostgresException("duplicate key value", "ERROR", "ERROR", "23505")); }, NullLogger.Instance, "a write", CancellationToken.None));
        Assert.Equal(1, permanent);
    }
}
