using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>The Slip model on an embedded SQLite file (the zero-install default); migrations live in Migrations/Sqlite.</summary>
public sealed class SqliteSlipDbContext(DbContextOptions<SqliteSlipDbContext> options) : SlipDbContext(options);
