using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Slip.Data.DesignTime;

/// <summary>Lets <c>dotnet ef</c> build the SQLite context without a startup project.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSlipDbContext>
{
    public SqliteSlipDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteSlipDbContext>().UseSqlite("Data Source=slip.db").Options);
}
