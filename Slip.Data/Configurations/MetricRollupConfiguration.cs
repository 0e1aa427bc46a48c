using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class MetricRollupConfiguration : IEntityTypeConfiguration<MetricRollup>
{
    public void Configure(EntityTypeBuilder<MetricRollup> rollup)
    {
        rollup.ToTable("MetricRollups");
        rollup.HasKey(r => new { r.RunId, r.Name, r.Level, r.Bucket });
        rollup.Property(r => r.Name).HasMaxLength(128);
        rollup.HasOne<Run>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
