using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class MetricSummaryConfiguration : IEntityTypeConfiguration<MetricSummary>
{
    public void Configure(EntityTypeBuilder<MetricSummary> summary)
    {
        summary.ToTable("MetricSummaries");
        summary.HasKey(s => new { s.RunId, s.Name });
        summary.Property(s => s.Name).HasMaxLength(128);
        summary.Ignore(s => s.Best);
        summary.Ignore(s => s.BestStep);
        summary.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
