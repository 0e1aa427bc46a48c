using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class EvaluationConfiguration : IEntityTypeConfiguration<Evaluation>
{
    public void Configure(EntityTypeBuilder<Evaluation> evaluation)
    {
        evaluation.ToTable("Evaluations");
        evaluation.HasKey(e => e.Id);
        evaluation.Property(e => e.Dataset).HasMaxLength(256);
        evaluation.Property(e => e.Tasks).HasMaxLength(256);
        evaluation.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        evaluation.Property(e => e.Worker).HasMaxLength(256);
        evaluation.Property(e => e.JobId).HasMaxLength(128);
        evaluation.Property(e => e.Phase).HasMaxLength(256);
        evaluation.Property(e => e.LeaseOwner).HasMaxLength(256);
        evaluation.HasIndex(e => e.RunId);
        evaluation.HasOne<Run>().WithMany(r => r.Evaluations).HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        evaluation.HasOne<Checkpoint>().WithMany().HasForeignKey(e => e.CheckpointId).OnDelete(DeleteBehavior.SetNull);
    }
}
