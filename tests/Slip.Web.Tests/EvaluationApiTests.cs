using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Training;
using Slip.Training.Evaluation;
using Slip.Web.Evaluations;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>Evaluations from the API: queued and run like training, results stored and compared; bad orders refused before queueing.</summary>
[Collection("hosts")]
public sealed class EvaluationApiTests
{
    [Fact]
    public async Task ACheckpointIsEvaluatedByTheQueueAndItsResultsReachTheComparison()
    {
        await using var app = new SlipAppFactory(workers: true);
        using var client = app.CreateClient();
        var launched = await client.PostAsJsonAsync("/api/runs", new LaunchRequest("evaluated", JsonSerializer.SerializeToElement(SlipAppFactory.TinyRun() with { Eval = SlipAppFactory.TinyRun().Eval with { TasksAtEnd = "linear_probe" }, Objective = Objective.Clip }, RunConfig.JsonOptions)), RunConfig.JsonOptions);
        var runId = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal(RunStatus.Succeeded, (await app.WaitForRunAsync(runId, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90))).Status);
        long checkpointId;
        await using (var db = await app.DbAsync())
        {
            checkpointId = (await db.Checkpoints.SingleAsync(c => c.RunId == runId)).Id;
        }

        // The run's evaluateAtEnd task was queued on its final checkpoint when it succeeded.
        var automatic = await WaitAsync(app, 1, TimeSpan.FromSeconds(90));
        Assert.True(automatic.Status == RunStatus.Succeeded, $"the automatic evaluation ended {automatic.Status}: {automatic.Error}");
        Assert.Equal((checkpointId, "linear_probe"), (automatic.CheckpointId, automatic.Tasks));

        var order = new EvaluationOrder { CheckpointId = checkpointId, Tasks = [EvalRequest.ZeroShotTask, EvalRequest.FineTuneTask, EvalRequest.RetrievalTask], FineTuneEpochs = 2 };
        var queued = await client.PostAsJsonAsync($"/api/runs/{runId}/evaluations", order, RunConfig.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, queued.StatusCode);
        var id = (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var evaluation = await WaitAsync(app, id, TimeSpan.FromSeconds(90));
        Assert.True(evaluation.Status == RunStatus.Succeeded, evaluation.Error);
        Assert.Equal(("shapes-mini", 1, 1.0), (evaluation.Dataset, evaluation.Epoch, evaluation.Progress));

        var view = await client.GetFromJsonAsync<JsonElement>($"/api/evaluations/{id}");
        var results = view.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["zeroshot_classification", "finetune", "zeroshot_retrieval"], results.Select(r => r.GetProperty("task").GetString()));
        var fineTune = results[1].GetProperty("metrics").GetProperty("ft_acc1").GetDouble();
        Assert.InRange(fineTune, 0, 100);
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/evaluations")).GetArrayLength());
        var file = await client.GetAsync($"/api/evaluations/{id}/results.json");
        Assert.Equal("application/json", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, JsonDocument.Parse(await file.Content.ReadAsStringAsync()).RootElement.GetArrayLength());

        // The comparison takes the evaluated scores of the last checkpoint.
        var row = (await client.GetFromJsonAsync<JsonElement>("/api/compare"))[0];
        Assert.Equal(fineTune, row.GetProperty("fineTune").GetProperty("mean").GetDouble(), 9);
        Assert.Equal(results[0].GetProperty("metrics").GetProperty("acc1").GetDouble(), row.GetProperty("zeroShot").GetProperty("mean").GetDouble(), 9);
        Assert.Equal(EvaluationResults.Metrics(automatic)["lp_acc1"], row.GetProperty("linear").GetProperty("mean").GetDouble(), 9);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/evaluations/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task BadOrdersAreRefusedOnTheirFieldAndQueueNothing()
    {
        await using var app = new SlipAppFactory();
        using var client = app.CreateClient();
        var (runId, checkpoint) = await RunWithCheckpointAsync(app, SlipAppFactory.TinyRun() with { Objective = Objective.SimClr });
        var (otherRun, otherCheckpoint) = await RunWithCheckpointAsync(app, SlipAppFactory.TinyRun());

        async Task<JsonElement> Refused(long run, EvaluationOrder order)
        {
            var response = await client.PostAsJsonAsync($"/api/runs/{run}/evaluations", order, RunConfig.JsonOptions);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        }

        var ok = new EvaluationOrder { CheckpointId = checkpoint.Id, Tasks = [EvalRequest.LinearProbeTask] };
        Assert.Contains("image-only (SSL) model", (await Refused(runId, ok with { Tasks = [EvalRequest.ZeroShotTask] })).GetProperty("Tasks")[0].GetString());
        Assert.Contains($"is not one of run {runId}'s checkpoints", (await Refused(runId, ok with { CheckpointId = otherCheckpoint.Id })).GetProperty("CheckpointId")[0].GetString());
        Assert.Contains("No dataset named 'imagenet'", (await Refused(runId, ok with { Dataset = "imagenet" })).GetProperty("Dataset")[0].GetString());
        Assert.Contains("takes 16 px images", (await Refused(runId, ok with { ImageSize = 224 })).GetProperty("ImageSize")[0].GetString());
        Assert.Contains("leave the training split empty", (await Refused(runId, ok with { TrainDataset = "shapes" })).GetProperty("TrainDataset")[0].GetString());
        Assert.Contains("has no dataset 'imagenet21k'", (await Refused(runId, ok with { Catalog = "imagenet21k" })).GetProperty("Catalog")[0].GetString());
        Assert.Contains("names the classes of an image folder", (await Refused(runId, ok with { Catalog = "imagenet" })).GetProperty("Catalog")[0].GetString());

        File.Delete(checkpoint.FilePath);
        Assert.Contains("has been deleted", (await Refused(runId, ok)).GetProperty("CheckpointId")[0].GetString());
        File.WriteAllBytes(checkpoint.FilePath, new byte[10]);
        Assert.Contains("has changed on disk", (await Refused(runId, ok)).GetProperty("CheckpointId")[0].GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/runs/999/evaluations", ok, RunConfig.JsonOptions)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/evaluations/999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/999/evaluations")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/runs/{otherRun}/evaluations", JsonContent.Create<object?>(null))).StatusCode);
        await using var db = await app.DbAsync();
        Assert.Equal(0, await db.Evaluations.CountAsync());
    }

    [Fact]
    public async Task ACheckpointAlteredAfterQueueingFailsTheEvaluationWithTheReason()
    {
        await using var app = new SlipAppFactory(workers: true);
        var (runId, checkpoint) = await RunWithCheckpointAsync(app, SlipAppFactory.TinyRun());
        var launch = await app.Get<EvaluationLauncher>().QueueAsync(runId, new EvaluationOrder { CheckpointId = checkpoint.Id, Tasks = [EvalRequest.ZeroShotTask] });
        Assert.NotNull(launch.EvaluationId);

        // Same length, different bytes: only the sha256 the job checks can tell.
        var evaluation = await WaitAsync(app, launch.EvaluationId.Value, TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Failed, evaluation.Status);
        Assert.Contains("is corrupted on disk: its sha256 is", evaluation.Error);
        Assert.Contains("It was not evaluated.", evaluation.Error);
    }

    /// <summary>A run with one checkpoint row whose file holds arbitrary bytes (and a recorded sha256 that does not match them).</summary>
    private static async Task<(long RunId, Checkpoint Checkpoint)> RunWithCheckpointAsync(SlipAppFactory app, RunConfig config)
    {
        await using var db = await app.DbAsync();
        var run = new Run { Name = "r", Objective = config.ObjectiveLabel, Model = config.Model, Dataset = config.Data.Dataset, ConfigJson = config.ToJson(), Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        var path = Path.Combine(app.DataDirectory, $"run{run.Id}.pt");
        File.WriteAllBytes(path, new byte[64]);
        var checkpoint = new Checkpoint { RunId = run.Id, Epoch = 1, Step = 8, FilePath = path, Bytes = 64, Sha256 = new string('a', 64), CreatedAt = DateTime.UtcNow };
        db.Checkpoints.Add(checkpoint);
        await db.SaveChangesAsync();
        return (run.Id, checkpoint);
    }

    private static async Task<Evaluation> WaitAsync(SlipAppFactory app, long id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = await app.DbAsync();
            // The run's final evaluation is queued just after the run is marked Succeeded: it may not exist yet.
            var evaluation = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id);
            if (evaluation?.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled || DateTime.UtcNow > deadline)
            {
                return evaluation ?? throw new TimeoutException($"Evaluation {id} was never queued.");
            }

            await Task.Delay(100);
        }
    }
}
