using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Slip.Data;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

/// <summary>/metrics: Prometheus's text format through OpenTelemetry, closed to strangers, with Slip's own series.</summary>
[Collection("hosts")]
public sealed class MetricsEndpointTests
{
    /// <summary>The value of the first sample of <paramref name="series"/> (a name with its labels, as exported).</summary>
    internal static double? Sample(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + @"(?:\{[^}]*\})? ([0-9.eE+-]+|NaN)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [Fact]
    public async Task StrangersAreRefusedAndTheScrapeTokenSeesRunsQueuePointsLatenciesAndImagesPerSecond()
    {
        await using var app = new SlipAppFactory(workers: true, extra: new Dictionary<string, string?> { ["Slip:Metrics:ScrapeToken"] = "scrape-secret" });
        using var stranger = app.AnonymousClient();   // not loopback: the test server has no client address
        var refused = await stranger.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Slip:Metrics:ScrapeToken", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        stranger.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "guessed");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync("/metrics")).StatusCode);

        using var scraper = app.AnonymousClient();
        scraper.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "scrape-secret");
        var id = (await app.Get<RunLauncher>().LaunchAsync("measured", SlipAppFactory.TinyRun(epochs: 6))).RunId!.Value;
        await app.WaitForRunAsync(id, r => r.Status == RunStatus.Running && r.Step >= 6, TimeSpan.FromSeconds(90));
        await Task.Delay(400);   // past the exporter's scrape cache
        var during = await scraper.GetStringAsync("/metrics");
        Assert.True(Sample(during, "slip_trainer_images_per_second") > 0, during);
        Assert.Contains($"run=\"{id}\"", during, StringComparison.Ordinal);
        Assert.Matches("slip_runs\\{[^}]*status=\"running\"[^}]*\\} 1", during);

        var run = await app.WaitForRunAsync(id, r => r.Status is RunStatus.Succeeded or RunStatus.Failed, TimeSpan.FromSeconds(90));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        await Task.Delay(400);
        var after = await scraper.GetStringAsync("/metrics");
        await using var db = await app.DbAsync();
        var stored = db.MetricBlocks.Where(b => b.RunId == id).Sum(b => (long)b.Count);
        Assert.Equal(stored, Sample(after, "slip_points_ingested_total"));   // every point this host stored, counted once
        Assert.True(Sample(after, "slip_ingest_latency_seconds_count") > 0, after);
        Assert.True(Sample(after, "slip_live_push_latency_seconds_count") > 0, after);
        Assert.Matches("slip_runs\\{[^}]*status=\"succeeded\"[^}]*\\} 1", after);
        Assert.Equal(0, Sample(after, "slip_queue_length"));
        Assert.DoesNotContain($"slip_trainer_images_per_second{{", after, StringComparison.Ordinal);   // the run's trainer is gone
    }
}
