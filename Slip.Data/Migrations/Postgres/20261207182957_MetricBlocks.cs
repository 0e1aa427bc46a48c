using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Slip.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MetricBlocks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The points stay, renamed, until SlipStore.MigrateAsync packs them into blocks (LegacyMetricPoints); the
            // blocks' foreign key deletes them with their run, so the trigger that did goes.
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_Runs_DeletePoints" ON "Runs";
                DROP FUNCTION slip_delete_run_points();
                """);
            migrationBuilder.RenameTable(name: "MetricPoints", newName: "LegacyMetricPoints");

            // Rollups start at level 2 now (buckets of 256 steps): a shorter range is read from the blocks (decision 0026).
            migrationBuilder.Sql("""DELETE FROM "MetricRollups" WHERE "Level" < 2;""");

            migrationBuilder.CreateTable(
                name: "MetricBlocks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    FirstStep = table.Column<long>(type: "bigint", nullable: false),
                    LastStep = table.Column<long>(type: "bigint", nullable: false),
                    Count = table.Column<int>(type: "integer", nullable: false),
                    Points = table.Column<byte[]>(type: "bytea", nullable: false)
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

            // Packed doubles barely compress: stored out of line without pglz's attempt (decision 0026).
            migrationBuilder.Sql("""ALTER TABLE "MetricBlocks" ALTER COLUMN "Points" SET STORAGE EXTERNAL;""");
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Epoch = table.Column<double>(type: "double precision", nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    Step = table.Column<long>(type: "bigint", nullable: false),
                    Time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Value = table.Column<double>(type: "double precision", nullable: false)
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
                CREATE FUNCTION slip_delete_run_points() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM "MetricPoints" WHERE "RunId" = OLD."Id";
                    RETURN OLD;
                END $$;
                CREATE TRIGGER "TR_Runs_DeletePoints" AFTER DELETE ON "Runs" FOR EACH ROW EXECUTE FUNCTION slip_delete_run_points();
                """);
        }
    }
}
