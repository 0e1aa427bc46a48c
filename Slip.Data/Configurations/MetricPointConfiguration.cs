using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class MetricPointConfiguration : IEntityTypeConfiguration<MetricPoint>
{
    public void Configure(EntityTypeBuilder<MetricPoint> point)
    {
        point.ToTable("MetricPoints");
        point.HasKey(p => p.Id);
        point.Property(p => p.Name).HasMaxLength(128);
        // Serves "series of one metric of one run, after step N" and the delete with the run (leading RunId).
        point.HasIndex(p => new { p.RunId, p.Name, p.Step });
        // No foreign key to Runs: checking it for every ingested point halved the ingest rate on PostgreSQL
        // (docs/decisions/0010). A trigger on Runs deletes a run's points with it (see the migration).
    }
}
