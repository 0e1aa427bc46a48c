using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class CheckpointConfiguration : IEntityTypeConfiguration<Checkpoint>
{
    public void Configure(EntityTypeBuilder<Checkpoint> checkpoint)
    {
        checkpoint.ToTable("Checkpoints");
        checkpoint.HasKey(c => c.Id);
        checkpoint.Property(c => c.FilePath).HasMaxLength(1024);
        checkpoint.Property(c => c.Sha256).HasMaxLength(64);
    }
}
