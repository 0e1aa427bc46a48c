using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Slip.Data.Migrations.Sqlite
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

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
