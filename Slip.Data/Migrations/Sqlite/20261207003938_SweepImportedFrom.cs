using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SweepImportedFrom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ImportedFrom",
                table: "Sweeps",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ImportedFrom",
                table: "Sweeps");
        }
    }
}
