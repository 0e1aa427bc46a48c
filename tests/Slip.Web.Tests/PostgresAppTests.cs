using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Slip.Data;
using Slip.Training;
using Slip.Web.Api;

namespace Slip.Web.Tests;

/// <summary>The whole path on the production store: PostgreSQL for runs and for Hangfire (schema "hangfire").</summary>
[Collection("hosts")]
public sealed class PostgresAppTests : IAsyncLifetime
{
    private readonly string database = $"slip_web_{Guid.NewGuid():N}";
    private string admin = "";

    public Task InitializeAsync()
    {
        admin = Environment.GetEnvironmentVariable("SLIP_TEST_POSTGRES")
            ?? throw new InvalidOperationException("SLIP_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL and sets it.");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task RunLaunchedThroughTheApiTrainsWithPostgresStoreAndQueue()
    {
        var connection = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        await using var app = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = connection,
        });
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("pg", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun(), RunConfig.JsonOptions)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        await using var db = await app.DbAsync();
        Assert.IsType<PostgresSlipDbContext>(db);
        Assert.True(await db.MetricPoints.CountAsync(p => p.RunId == id) > 0);
        Assert.Equal(1, await db.Checkpoints.CountAsync(c => c.RunId == id));
        await using var raw = new NpgsqlConnection(connection);
        await raw.OpenAsync();
        await using var jobs = new NpgsqlCommand("SELECT count(*) FROM hangfire.job", raw);
        Assert.True((long)(await jobs.ExecuteScalarAsync())! >= 1);
    }
}
