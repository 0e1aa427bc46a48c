using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Slip.Data.DesignTime;

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL context without a startup project; the connection string is never opened.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSlipDbContext>
{
    public PostgresSlipDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresSlipDbContext>().UseNpgsql("Host=localhost;Database=slip").Options);
}
