using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class SupersededMetricPointConfiguration : IEntityTypeConfiguration<SupersededMetricPoint>
{
    public void Configure(EntityTypeBuilder<SupersededMetricPoint> point)
    {
        point.ToTable("SupersededMetricPoints");
        point.HasKey(p => p.Id);
        point.Property(p => p.Name).HasMaxLength(128);
        point.HasIndex(p => new { p.RunId, p.Attempt, p.Name, p.Step });
        point.HasOne<Run>().WithMany().HasForeignKey(p => p.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
