using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MetricPointsWithoutForeignKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_MetricPoints_Runs_RunId",
                table: "MetricPoints");

            // A run's points go with it, as the foreign key's cascade did, without a check per ingested point.
            migrationBuilder.Sql("""
                CREATE FUNCTION slip_delete_run_points() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM "MetricPoints" WHERE "RunId" = OLD."Id";
                    RETURN OLD;
                END $$;
                CREATE TRIGGER "TR_Runs_DeletePoints" AFTER DELETE ON "Runs" FOR EACH ROW EXECUTE FUNCTION slip_delete_run_points();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_Runs_DeletePoints" ON "Runs";
                DROP FUNCTION slip_delete_run_points();
                DELETE FROM "MetricPoints" WHERE "RunId" NOT IN (SELECT "Id" FROM "Runs");
                """);

            migrationBuilder.AddForeignKey(
                name: "FK_MetricPoints_Runs_RunId",
                table: "MetricPoints",
                column: "RunId",
                principalTable: "Runs",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
