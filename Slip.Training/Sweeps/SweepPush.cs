using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slip.Training.Sweeps;

/// <summary>What a push did: the dashboard's sweep id (null when it was not created) and how many runs went in, were there already, or failed.</summary>
public sealed record SweepPushResult(long? SweepId, int Imported, int AlreadyThere, int Skipped, int Refused);

/// <summary>
/// Sends a sweep that <c>sweep run</c> trained to a dashboard, as W&amp;B's <c>wandb sync</c> sends offline runs:
/// <c>POST /api/sweeps/import</c> creates the sweep (its definition and where the folder is), then each finished or
/// failed run goes in by <c>POST /api/sweeps/{id}/runs</c> with its config, events and report evaluation. A run the
/// dashboard already has is answered 409 and left alone, so a push into an existing sweep (<c>into</c>) only sends
/// what is new: runs that finished since, after an interrupted push or a sweep still running.
/// </summary>
public static class SweepPush
{
    /// <param name="client">Addressed at the dashboard, with its API key.</param>
    /// <param name="folder">The sweep's folder (<c>sweep run --out</c>).</param>
    /// <param name="definition">The sweep as it was run (JSON object, kept as written).</param>
    /// <param name="plan">Its expansion: which run indices to look for.</param>
    /// <param name="source">Where the folder is (host:path), shown on the dashboard.</param>
    /// <param name="into">An imported sweep on the dashboard to add to, instead of creating one.</param>
    /// <param name="report">Progress and problems, a line each.</param>
    /// <param name="ct">Stops the push between requests.</param>
    public static async Task<SweepPushResult> RunAsync(HttpClient client, string folder, JsonObject definition, SweepPlan plan, string source, long? into, Action<string> report, CancellationToken ct = default)
    {
        var id = into;
        if (id is null)
        {
            using var created = await client.PostAsJsonAsync("api/sweeps/import", new JsonObject { ["sweep"] = definition.DeepClone(), ["source"] = source }, ct);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                report($"The dashboard did not create the sweep: {await ProblemAsync(created, ct)}");
                return new SweepPushResult(null, 0, 0, 0, 1);
            }

            id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))?["id"]?.GetValue<long>();
            report($"Created sweep {id} on the dashboard.");
        }

        int imported = 0, there = 0, skipped = 0, refused = 0;
        var selection = SweepDefinition.FromJson(definition.ToJsonString()).Select;
        foreach (var run in plan.Runs)
        {
            var (import, why) = SweepFolder.Read(folder, run.Index, selection);
            if (import is null)
            {
                skipped++;
                report($"run-{run.Index:D3}: {why}, not sent.");
                continue;
            }

            using var content = new StringContent(import.ToJson(), Encoding.UTF8, "application/json");
            using var answer = await client.PostAsync($"api/sweeps/{id}/runs", content, ct);
            switch (answer.StatusCode)
            {
                case HttpStatusCode.Created:
                    imported++;
                    report($"run-{run.Index:D3}: imported ({import.Outcome}{(import.Report is null ? "" : ", with its report")}).");
                    break;
                case HttpStatusCode.Conflict:
                    there++;
                    report($"run-{run.Index:D3}: the dashboard has it already.");
                    break;
                case HttpStatusCode.BadRequest:
                    refused++;
                    report($"run-{run.Index:D3}: refused: {await ProblemAsync(answer, ct)}");
                    break;
                default:
                    report($"run-{run.Index:D3}: {await ProblemAsync(answer, ct)}; stopping (push again with --into {id} to go on).");
                    return new SweepPushResult(id, imported, there, skipped, refused + 1);
            }
        }

        return new SweepPushResult(id, imported, there, skipped, refused);
    }

    /// <summary>The problem in an answer: a validation problem's field errors, a problem's detail, or the status.</summary>
    private static async Task<string> ProblemAsync(HttpResponseMessage answer, CancellationToken ct)
    {
        var status = $"{(int)answer.StatusCode} {answer.ReasonPhrase}";
        if (answer.StatusCode == HttpStatusCode.Unauthorized)
        {
            return $"{status}: the dashboard did not accept the API key (SLIP_API_KEY).";
        }

        if (answer.StatusCode == HttpStatusCode.Forbidden)
        {
            return $"{status}: the API key's user may not start runs (an operator's or admin's key is needed).";
        }

        var text = await answer.Content.ReadAsStringAsync(ct);
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
            {
                if (problem["errors"] is JsonObject errors)
                {
                    return string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value?.AsArray().Select(m => m?.GetValue<string>()) ?? [])}"));
                }

                if (problem["detail"]?.GetValue<string>() is { } detail)
                {
                    return $"{status}: {detail}";
                }
            }
        }
        catch (JsonException)
        {
        }

        return status;
    }
}
