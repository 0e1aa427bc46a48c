using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>Hands out the provider context registered for the app as the provider-neutral <see cref="SlipDbContext"/>.</summary>
internal sealed class SlipDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<SlipDbContext>
    where TContext : SlipDbContext
{
    public SlipDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<SlipDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}
