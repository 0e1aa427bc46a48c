using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Slip.Data;

/// <summary>Puts every SQLite connection in WAL mode with a busy timeout, so the web app and worker threads can write to one file concurrently.</summary>
internal sealed class SqliteConcurrencyInterceptor : DbConnectionInterceptor
{
    // busy_timeout first: switching the journal mode on a fresh file may itself have to wait for a lock.
    private const string Pragmas = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
