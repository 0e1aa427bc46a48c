using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Slip.Data.Tests;

/// <summary>An empty database for one test class, registered through <see cref="SlipStore.AddSlipStore"/> and migrated on start.</summary>
public abstract class StoreDatabase : IAsyncLifetime
{
    private ServiceProvider? _services;

    public IDbContextFactory<SlipDbContext> Factory =>
        _services?.GetRequiredService<IDbContextFactory<SlipDbContext>>() ?? throw new InvalidOperationException("Database not initialised.");

    public abstract Type ContextType { get; }

    /// <summary>Whether the database is migrated to the latest model on start (an upgrade test migrates it itself).</summary>
    protected virtual bool MigrateOnStart => true;

    public async Task InitializeAsync()
    {
        var options = await CreateEmptyDatabaseAsync();
        _services = new ServiceCollection().AddSlipStore(options).BuildServiceProvider();
        if (MigrateOnStart)
        {
            await SlipStore.MigrateAsync(Factory, CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await DropDatabaseAsync();
    }

    protected abstract Task<StorageOptions> CreateEmptyDatabaseAsync();

    protected abstract Task DropDatabaseAsync();
}
