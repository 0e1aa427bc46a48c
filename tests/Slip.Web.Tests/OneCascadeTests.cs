using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Training;
using Slip.Web.Components.Shared;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>A knob means the same thing wherever it is set: the CLI, the API and the New Run form build one config.</summary>
[Collection("hosts")]
public sealed class OneCascadeTests
{
    [Fact]
    public async Task ClipThroughValidateTheApiAndTheFormGivesOneExpandedConfig()
    {
        const string given = """{"objective": "Clip"}""";
        var cli = await ValidateAsync(given);

        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("clip", JsonDocument.Parse(given).RootElement), RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await using var db = await app.DbAsync();
        var api = (await db.Runs.SingleAsync(r => r.Id == id)).ConfigJson;

        var form = new RunFormModel();
        form.Set(ConfigKeys.Of(c => c.Objective), Objective.Clip);

        Assert.Equal(cli, api);
        Assert.Equal(cli, form.Config.ToJson());
        var config = RunConfig.FromJson(cli);
        Assert.Equal((5e-4, 0.5), (config.Optim.LearningRate, config.Optim.WeightDecay));   // CLIP's recipe, not SLIP's
    }

    /// <summary>What <c>Slip.Training validate</c> prints for a config, run as the worker runs the CLI.</summary>
    private static async Task<string> ValidateAsync(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("slip-validate-").FullName, "run.json");
        await File.WriteAllTextAsync(path, json);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Slip.Training.dll"), "validate", "--config", path })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        return output.Trim();
    }
}
