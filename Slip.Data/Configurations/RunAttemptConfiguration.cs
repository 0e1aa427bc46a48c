using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class RunAttemptConfiguration : IEntityTypeConfiguration<RunAttempt>
{
    public void Configure(EntityTypeBuilder<RunAttempt> attempt)
    {
        attempt.ToTable("RunAttempts");
        attempt.HasKey(a => a.Id);
        attempt.Property(a => a.Worker).HasMaxLength(256);
        attempt.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        attempt.HasIndex(a => new { a.RunId, a.Number }).IsUnique();
        attempt.HasOne<Run>().WithMany().HasForeignKey(a => a.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
