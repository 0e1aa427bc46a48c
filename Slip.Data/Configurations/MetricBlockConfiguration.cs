using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class MetricBlockConfiguration : IEntityTypeConfiguration<MetricBlock>
{
    public void Configure(EntityTypeBuilder<MetricBlock> block)
    {
        block.ToTable("MetricBlocks");
        block.HasKey(b => b.Id);
        block.Property(b => b.Name).HasMaxLength(128);
        // Serves a metric's blocks in write order (the newest for compaction) and, filtered on their steps, a range's.
        block.HasIndex(b => new { b.RunId, b.Name, b.Id });
        // A foreign key is checked once per block, not once per point, so it costs ingest nothing worth a trigger (decision 0026).
        block.HasOne<Run>().WithMany().HasForeignKey(b => b.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
