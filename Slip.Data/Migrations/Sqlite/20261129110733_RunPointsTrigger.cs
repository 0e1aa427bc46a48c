using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunPointsTrigger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A run's points go with it, as the foreign key's cascade did, without a check per ingested point. A migration
            // of its own: the previous one rebuilds MetricPoints, which SQLite refuses while a trigger names the table.
            migrationBuilder.Sql("""
                CREATE TRIGGER "TR_Runs_DeletePoints" AFTER DELETE ON "Runs"
                BEGIN
                    DELETE FROM "MetricPoints" WHERE "RunId" = OLD."Id";
                END;
                """);

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER "TR_Runs_DeletePoints";""");

        }
    }
}
