using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MetricSummariesAndRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MetricRollups",
                columns: table => new
                {
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Level = table.Column<int>(type: "INTEGER", nullable: false),
                    Bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    Min = table.Column<double>(type: "REAL", nullable: false),
                    Max = table.Column<double>(type: "REAL", nullable: false),
                    Last = table.Column<double>(type: "REAL", nullable: false),
                    LastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastEpoch = table.Column<double>(type: "REAL", nullable: false),
                    LastTime = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricRollups", x => new { x.RunId, x.Name, x.Level, x.Bucket });
                    table.ForeignKey(
                        name: "FK_MetricRollups_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MetricSummaries",
                columns: table => new
                {
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    Last = table.Column<double>(type: "REAL", nullable: false),
                    LastTime = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Min = table.Column<double>(type: "REAL", nullable: false),
                    MinStep = table.Column<long>(type: "INTEGER", nullable: false),
                    Max = table.Column<double>(type: "REAL", nullable: false),
                    MaxStep = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricSummaries", x => new { x.RunId, x.Name });
                    table.ForeignKey(
                        name: "FK_MetricSummaries_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MetricRollups");

            migrationBuilder.DropTable(
                name: "MetricSummaries");
        }
    }
}
