using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MetricBlocks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The points stay, renamed, until SlipStore.MigrateAsync packs them into blocks (LegacyMetricPoints); the
            // blocks' foreign key deletes them with their run, so the trigger that did goes.
            migrationBuilder.Sql("""DROP TRIGGER "TR_Runs_DeletePoints";""");
            migrationBuilder.RenameTable(name: "MetricPoints", newName: "LegacyMetricPoints");

            // Rollups start at level 2 now (buckets of 256 steps): a shorter range is read from the blocks (decision 0026).
            migrationBuilder.Sql("""DELETE FROM "MetricRollups" WHERE "Level" < 2;""");

            migrationBuilder.CreateTable(
                name: "MetricBlocks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    FirstStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false),
                    Points = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricBlocks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MetricBlocks_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MetricBlocks_RunId_Name_Id",
                table: "MetricBlocks",
                columns: new[] { "RunId", "Name", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Going back leaves the points table empty: the blocks' points are not unpacked.
            migrationBuilder.DropTable(
                name: "MetricBlocks");

            migrationBuilder.CreateTable(
                name: "MetricPoints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Epoch = table.Column<double>(type: "REAL", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Step = table.Column<long>(type: "INTEGER", nullable: false),
                    Time = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Value = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricPoints", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MetricPoints_RunId_Name_Step",
                table: "MetricPoints",
                columns: new[] { "RunId", "Name", "Step" });

            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Runs_DeletePoints" AFTER DELETE ON "Runs"
                BEGIN
                    DELETE FROM "MetricPoints" WHERE "RunId" = OLD."Id";
                END;
                """);
        }
    }
}
