using Microsoft.EntityFrameworkCore;

namespace Slip.Data;

/// <summary>The one Slip model; a provider-specific subclass carries each provider's migrations.</summary>
public abstract class SlipDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Run> Runs => Set<Run>();

    public DbSet<MetricBlock> MetricBlocks => Set<MetricBlock>();

    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();

    public DbSet<RegisteredDataset> Datasets => Set<RegisteredDataset>();

    public DbSet<Evaluation> Evaluations => Set<Evaluation>();

    public DbSet<MetricSummary> MetricSummaries => Set<MetricSummary>();

    public DbSet<MetricRollup> MetricRollups => Set<MetricRollup>();

    public DbSet<RunAttempt> RunAttempts => Set<RunAttempt>();

    public DbSet<SupersededMetricPoint> SupersededMetricPoints => Set<SupersededMetricPoint>();

    public DbSet<User> Users => Set<User>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<Sweep> Sweeps => Set<Sweep>();

    public DbSet<WorkerCheck> WorkerChecks => Set<WorkerCheck>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Applies to DateTime? as well.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SlipDbContext).Assembly);
    }
}
