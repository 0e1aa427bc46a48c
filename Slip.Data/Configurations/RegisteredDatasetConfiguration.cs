using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class RegisteredDatasetConfiguration : IEntityTypeConfiguration<RegisteredDataset>
{
    public void Configure(EntityTypeBuilder<RegisteredDataset> dataset)
    {
        dataset.ToTable("Datasets");
        dataset.HasKey(d => d.Id);
        dataset.Property(d => d.Name).HasMaxLength(100);
        dataset.HasIndex(d => d.Name).IsUnique();
        dataset.Property(d => d.Format).HasMaxLength(32);
        dataset.Property(d => d.Location).HasMaxLength(2048);
        dataset.Property(d => d.Description).HasMaxLength(2000);
    }
}
