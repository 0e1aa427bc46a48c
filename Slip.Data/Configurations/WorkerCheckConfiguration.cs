using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class WorkerCheckConfiguration : IEntityTypeConfiguration<WorkerCheck>
{
    public void Configure(EntityTypeBuilder<WorkerCheck> check)
    {
        check.ToTable("WorkerChecks");
        check.HasKey(c => c.Id);
        check.Property(c => c.Worker).HasMaxLength(300);
        check.HasIndex(c => c.Worker).IsUnique();
        check.Property(c => c.Host).HasMaxLength(255);
        check.Property(c => c.Device).HasMaxLength(32);
        check.Property(c => c.Summary).HasMaxLength(2000);
    }
}
