using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> run)
    {
        run.ToTable("Runs");
        run.HasKey(r => r.Id);
        run.Property(r => r.Name).HasMaxLength(200);
        run.Property(r => r.Objective).HasMaxLength(64);
        run.Property(r => r.Model).HasMaxLength(128);
        run.Property(r => r.Dataset).HasMaxLength(256);
        run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        run.Property(r => r.Worker).HasMaxLength(256);
        run.Property(r => r.JobId).HasMaxLength(128);
        run.Property(r => r.LeaseOwner).HasMaxLength(256);
        run.Property(r => r.Tags).HasMaxLength(1024);
        run.Property(r => r.Notes).HasMaxLength(10_000);
        run.HasIndex(r => r.Status);
        run.HasIndex(r => r.CreatedAt);
        run.Property(r => r.SweepArm).HasMaxLength(512);
        run.Property(r => r.SweepPoint).HasMaxLength(2048);
        // No foreign key: SQLite would rebuild the Runs table (dropping its trigger), and sweeps are never deleted.
        run.HasIndex(r => r.SweepId);
        run.HasMany(r => r.Checkpoints).WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
