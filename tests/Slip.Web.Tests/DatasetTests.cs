using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Tests;
using Slip.Training;
using Slip.Training.Datasets.Sources;
using Slip.Web.Datasets;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>Registering datasets through the API, their previews, and runs launched on them by name.</summary>
[Collection("hosts")]
public sealed class DatasetTests
{
    private static (string Root, string Shards) MakeShards()
    {
        var root = DatasetFiles.TempFolder("web-data");
        Directory.CreateDirectory(Path.Combine(root, "shapes-wds"));
        for (var s = 0; s < 2; s++)
        {
            DatasetFiles.Shard(Path.Combine(root, "shapes-wds", $"{s:D5}.tar"), DatasetFiles.Samples(s * 20, 20));
        }

        File.WriteAllText(Path.Combine(root, "shapes-wds", "sizes.json"), """{"00000.tar": 20, "00001.tar": 20}""");
        return (root, Path.Combine(root, "shapes-wds", "{00000..00001}.tar"));
    }

    private static Dictionary<string, string?> Roots(string root) => new() { ["Slip:DataRoots:0"] = root };

    [Fact]
    public async Task ADatasetIsRegisteredOncePreviewedAndRefusedWithReasons()
    {
        var (root, shards) = MakeShards();
        await using var app = new SlipAppFactory(extra: Roots(root));
        using var client = app.CreateClient();

        var created = await client.PostAsJsonAsync("/api/datasets", new DatasetRegistration("shapes-wds", "JPEG shards", new DatasetSource { Path = shards }), RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(40, body.GetProperty("sampleCount").GetInt64());
        Assert.Equal(12, body.GetProperty("preview").GetArrayLength());
        Assert.StartsWith("a ", body.GetProperty("preview")[0].GetProperty("caption").GetString());

        var png = await client.GetAsync("/api/datasets/shapes-wds/preview/0.png");
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await png.Content.ReadAsByteArrayAsync())[..4]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/datasets/shapes-wds/preview/99.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/datasets/nope")).StatusCode);

        async Task<JsonElement> Refused(DatasetRegistration registration)
        {
            var response = await client.PostAsJsonAsync("/api/datasets", registration, RunConfig.JsonOptions);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        }

        Assert.Contains("already registered", (await Refused(new("shapes-wds", null, new DatasetSource { Path = shards }))).GetProperty("Name")[0].GetString());
        Assert.Contains("built-in", (await Refused(new("shapes", null, new DatasetSource { Path = shards }))).GetProperty("Name")[0].GetString());
        Assert.Contains("outside the data roots", (await Refused(new("etc", null, new DatasetSource { Format = "csv", Path = "/etc/passwd" }))).GetProperty("Path")[0].GetString());
        Assert.Contains("does not exist", (await Refused(new("gone", null, new DatasetSource { Path = Path.Combine(root, "missing.tar") }))).GetProperty("Path")[0].GetString());
        File.WriteAllText(Path.Combine(root, "m.csv"), "path,caption\nx.jpg,a\n");
        Assert.Contains("no column 'filepath'", (await Refused(new("m", null, new DatasetSource { Format = "csv", Path = Path.Combine(root, "m.csv") }))).GetProperty("ImageColumn")[0].GetString());
        await using var db = await app.DbAsync();
        Assert.Equal(1, await db.Datasets.CountAsync());
    }

    [Fact]
    public async Task ARunOnARegisteredDatasetCarriesItsSourceAndTrains()
    {
        var (root, shards) = MakeShards();
        File.Delete(Path.Combine(root, "shapes-wds", "sizes.json")); // counted at registration instead
        await using var app = new SlipAppFactory(workers: true, extra: Roots(root));
        var registry = app.Get<DatasetRegistry>();
        Assert.Empty((await registry.RegisterAsync(new DatasetRegistration("shapes-wds", null, new DatasetSource { Path = shards }))).Errors);

        var config = SlipAppFactory.TinyRun() with { Data = SlipAppFactory.TinyRun().Data with { Dataset = "shapes-wds" }, Optim = SlipAppFactory.TinyRun().Optim with { BatchSize = 8 } };
        var launch = await app.Get<RunLauncher>().LaunchAsync("on shards", config);
        Assert.Empty(launch.Errors);
        var run = await app.WaitForRunAsync(launch.RunId!.Value, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromMinutes(2));
        Assert.True(run.Status == RunStatus.Succeeded, run.Error);
        var stored = RunConfig.FromJson(run.ConfigJson);
        Assert.Equal(shards, stored.Data.Source!.Path);
        Assert.Equal(40, stored.Data.EpochSamples);
        Assert.Equal(5, run.TotalSteps); // 40 samples / batch 8, one epoch
    }

    [Fact]
    public async Task ARegisteredCaptionSetCarriesItsValidationAndTestSetsIntoTheRunsOfASweep()
    {
        var (root, shards) = MakeShards();
        var val = DatasetFiles.ImageFolder(Path.Combine(root, "val"), ["circle", "square"], 3);
        var test = DatasetFiles.ImageFolder(Path.Combine(root, "test"), ["circle", "square"], 3);
        await using var app = new SlipAppFactory(extra: Roots(root));
        using var client = app.CreateClient();
        var valSource = new DatasetSource { Format = DatasetFormats.ImageFolder, Path = val };
        var testSource = new DatasetSource { Format = DatasetFormats.ImageFolder, Path = test };

        var refused = await client.PostAsJsonAsync("/api/datasets", new DatasetRegistration("bad-val", null, new DatasetSource { Path = shards }, Val: new DatasetSource { Path = shards }), RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("a classification set", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("Val")[0].GetString());
        var created = await client.PostAsJsonAsync("/api/datasets", new DatasetRegistration("captions", null, new DatasetSource { Path = shards }, valSource, testSource), RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(val, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("val").GetProperty("path").GetString());

        var sweep = await client.PostAsJsonAsync("/api/sweeps", new
        {
            name = "on-captions",
            @base = new { model = "Micro", data = new { dataset = "captions" } },
            grid = new Dictionary<string, object[]> { ["objective"] = ["clip", "slip"] },
            seeds = new[] { 0 },
        });

        Assert.Equal(HttpStatusCode.Created, sweep.StatusCode);
        await using var db = await app.DbAsync();
        var configs = (await db.Runs.Select(r => r.ConfigJson).ToListAsync()).Select(RunConfig.FromJson).ToList();
        Assert.Equal(2, configs.Count);
        Assert.All(configs, c => Assert.Equal((shards, val, test, true), (c.Data.Source!.Path, c.Eval.Val!.Path, c.Eval.Test!.Path, c.Eval.Validate)));
    }
}
