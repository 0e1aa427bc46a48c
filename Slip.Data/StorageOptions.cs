namespace Slip.Data;

/// <summary>Where runs are stored: the provider ("Sqlite" or "Postgres") and its connection string.</summary>
public sealed class StorageOptions
{
    public const string Sqlite = "Sqlite";

    public const string Postgres = "Postgres";

    /// <summary>Used when <see cref="ConnectionString"/> is empty and the provider is SQLite: a file under ./data.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/slip.db";

    /// <summary>"Sqlite" (embedded default) or "Postgres"; case-insensitive.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Required for Postgres; optional for SQLite (defaults to <see cref="DefaultSqliteConnectionString"/>).</summary>
    public string? ConnectionString { get; set; }
}
