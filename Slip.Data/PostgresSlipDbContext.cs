using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>The Slip model on PostgreSQL (the production store); migrations live in Migrations/Postgres.</summary>
public sealed class PostgresSlipDbContext(DbContextOptions<PostgresSlipDbContext> options) : SlipDbContext(options);
