using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Sweeps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SweepArm",
                table: "Runs",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SweepId",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SweepIndex",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SweepPoint",
                table: "Runs",
                type: "TEXT",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TestJson",
                table: "Datasets",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ValJson",
                table: "Datasets",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Sweeps",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DefinitionJson = table.Column<string>(type: "TEXT", nullable: false),
                    SelectMetric = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Minimize = table.Column<bool>(type: "INTEGER", nullable: false),
                    RunCount = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sweeps", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_SweepId",
                table: "Runs",
                column: "SweepId");

            migrationBuilder.CreateIndex(
                name: "IX_Sweeps_CreatedAt",
                table: "Sweeps",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Sweeps");

            migrationBuilder.DropIndex(
                name: "IX_Runs_SweepId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SweepArm",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SweepId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SweepIndex",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SweepPoint",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "TestJson",
                table: "Datasets");

            migrationBuilder.DropColumn(
                name: "ValJson",
                table: "Datasets");
        }
    }
}
