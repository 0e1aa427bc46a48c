using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Slip.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("Users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Name).HasMaxLength(64);
        user.Property(u => u.PasswordHash).HasMaxLength(256);
        user.Property(u => u.Role).HasMaxLength(16);
        user.Property(u => u.SecurityStamp).HasMaxLength(64).HasDefaultValue("");
        user.HasIndex(u => u.Name).IsUnique();
    }
}
