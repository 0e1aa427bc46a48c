using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Slip.Data;

/// <summary>Registers the Slip store for the configured provider and applies its migrations.</summary>
public static class SlipStore
{
    /// <summary>Registers <see cref="IDbContextFactory{SlipDbContext}"/> for <see cref="StorageOptions.Provider"/> (Sqlite or Postgres).</summary>
    /// <exception cref="ArgumentException">The provider is not Sqlite or Postgres, or Postgres has no connection string.</exception>
    public static IServiceCollection AddSlipStore(this IServiceCollection services, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (string.Equals(options.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            var connectionString = string.IsNullOrWhiteSpace(options.ConnectionString)
                ? StorageOptions.DefaultSqliteConnectionString
                : options.ConnectionString;
            services.AddDbContextFactory<SqliteSlipDbContext>(o =>
            {
                EnsureSqliteDirectory(connectionString);
                o.UseSqlite(connectionString).AddInterceptors(new SqliteConcurrencyInterceptor());
            });
            services.AddSingleton<IDbContextFactory<SlipDbContext>>(sp =>
                new SlipDbContextFactory<SqliteSlipDbContext>(sp.GetRequiredService<IDbContextFactory<SqliteSlipDbContext>>()));
        }
        else if (string.Equals(options.Provider, StorageOptions.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new ArgumentException("Storage provider Postgres needs a connection string (Storage:ConnectionString).", nameof(options));
            }

            var connectionString = options.ConnectionString;
            services.AddDbContextFactory<PostgresSlipDbContext>(o => o.UseNpgsql(connectionString));
            services.AddSingleton<IDbContextFactory<SlipDbContext>>(sp =>
                new SlipDbContextFactory<PostgresSlipDbContext>(sp.GetRequiredService<IDbContextFactory<PostgresSlipDbContext>>()));
        }
        else
        {
            throw new ArgumentException(
                $"Unknown storage provider '{options.Provider}'. Valid values: {StorageOptions.Sqlite}, {StorageOptions.Postgres}.",
                nameof(options));
        }

        return services;
    }

    /// <summary>Creates the database if needed, applies the provider's pending migrations, packs points stored a row each into blocks and fills metric summaries for points stored before them.</summary>
    public static async Task MigrateAsync(IDbContextFactory<SlipDbContext> factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        await LegacyMetricPoints.ConvertAsync(db, cancellationToken);
        await MetricIngest.BackfillAsync(db, cancellationToken);
    }

    private static void EnsureSqliteDirectory(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var dataSource = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory
            || string.IsNullOrEmpty(dataSource)
            || dataSource == ":memory:"
            || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}
