using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class SweepConfiguration : IEntityTypeConfiguration<Sweep>
{
    public void Configure(EntityTypeBuilder<Sweep> sweep)
    {
        sweep.ToTable("Sweeps");
        sweep.HasKey(s => s.Id);
        sweep.Property(s => s.Name).HasMaxLength(200);
        sweep.Property(s => s.SelectMetric).HasMaxLength(128);
        sweep.Property(s => s.ImportedFrom).HasMaxLength(1000);
        sweep.HasIndex(s => s.CreatedAt);
    }
}
