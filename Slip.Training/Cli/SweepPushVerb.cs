using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Slip.Training.Sweeps;

namespace Slip.Training.Cli;

/// <summary>
/// <c>sweep push --from DIR --url URL [--file sweep.json] [--into ID]</c>: sends a sweep that <c>sweep run</c> trained
/// to a dashboard (<see cref="SweepPush"/>), with the API key in <c>SLIP_API_KEY</c>. Exit 0 when every finished run
/// is there, 3 when some were refused or the dashboard stopped answering, 2 for bad input.
/// </summary>
internal static class SweepPushVerb
{
    public const string ApiKeyVariable = "SLIP_API_KEY";

    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The sweep's folder (sweep run --out).", Required = true, HelpName = "dir" };
        from.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && !Directory.Exists(path))
            {
                result.AddError($"Sweep folder '{path}' does not exist.");
            }
        });
        var url = new Option<string>("--url") { Description = "The dashboard, e.g. http://slip.example:5180.", Required = true, HelpName = "url" };
        url.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                result.AddError($"--url takes the dashboard's http(s) address, not '{text}'.");
            }
        });
        var file = CliOptions.ExistingFile("--file", $"The sweep's definition (default: {SweepFolder.DefinitionFile} in the folder, which sweep run writes).", "Sweep file", helpName: "sweep.json");
        var into = CliOptions.Number<long>("--into", "Add to this imported sweep on the dashboard (after an interrupted push, or as more runs finish) instead of creating one.", "a sweep id", n => n > 0);
        var push = new Command("push", $"Send a sweep trained with sweep run to a dashboard: its runs' configs, curves and report, to see and compare there. The API key (operator or admin) is read from {ApiKeyVariable}.")
        {
            from, url, file, into,
        };
        push.SetAction(async (parsed, ct) =>
        {
            var folder = Path.GetFullPath(parsed.GetRequiredValue(from));
            var definitionFile = parsed.GetValue(file) ?? Path.Combine(folder, SweepFolder.DefinitionFile);
            if (!File.Exists(definitionFile))
            {
                Console.Error.WriteLine($"{definitionFile} does not exist (sweep run writes it from now on): give the sweep file that was run with --file.");
                return ExitCodes.Usage;
            }

            if (Environment.GetEnvironmentVariable(ApiKeyVariable) is not { Length: > 0 } key)
            {
                Console.Error.WriteLine($"Set {ApiKeyVariable} to an API key of the dashboard (Account, API keys) whose user is an operator or admin.");
                return ExitCodes.Usage;
            }

            if (SweepVerb.Load(definitionFile, roots: null) is not var (_, plan))
            {
                return ExitCodes.Usage;
            }

            var baseUrl = parsed.GetRequiredValue(url);
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"), Timeout = TimeSpan.FromMinutes(5) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var definition = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(definitionFile, ct))!;
            SweepPushResult result;
            try
            {
                result = await SweepPush.RunAsync(client, folder, definition, plan, $"{Environment.MachineName}:{folder}", parsed.GetValue(into), Console.Error.WriteLine, ct);
            }
            catch (HttpRequestException ex)
            {
                Console.Error.WriteLine($"Could not reach the dashboard at {baseUrl}: {ex.Message}");
                return ExitCodes.Failed;
            }

            Console.WriteLine(result.SweepId is { } id
                ? $"Sweep {id}: {result.Imported} runs imported, {result.AlreadyThere} already there, {result.Skipped} not finished, {result.Refused} refused. {client.BaseAddress}sweeps/{id}"
                : "Nothing was sent.");
            return result.Refused == 0 && result.SweepId is not null ? ExitCodes.Completed : ExitCodes.Failed;
        });
        return push;
    }
}
