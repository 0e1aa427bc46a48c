using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Slip.Data;

namespace Slip.Web.Hosting;

/// <summary>
/// <c>Slip.Web bench-metrics [--points 1000000] [--batch 10000] [--metrics 1] [--queries 50]</c>: measures the configured
/// store (set Storage:Provider and the connection string as for the dashboard): ingest rate in points/s, then the
/// latency of downsampled series queries (whole range, zoomed, smoothed) on the run it wrote, which it deletes after.
/// </summary>
public static class MetricsBench
{
    public const string Verb = "bench-metrics";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args)
    {
        int Option(string name, int fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
        }

        var (points, batch, metrics, queries) = (Option("points", 1_000_000), Option("batch", 10_000), Option("metrics", 1), Option("queries", 50));
        var factory = services.GetRequiredService<IDbContextFactory<SlipDbContext>>();
        await SlipStore.MigrateAsync(factory, CancellationToken.None);
        await using var db = await factory.CreateDbContextAsync();
        Console.WriteLine($"store: {db.Database.ProviderName}; {points:N0} points of {metrics} metric(s) in batches of {batch:N0}");
        var run = new Run { Name = "bench-metrics", Objective = "bench", Model = "-", Dataset = "-", Status = RunStatus.Succeeded, CreatedAt = DateTime.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        try
        {
            var start = DateTime.UtcNow;
            var random = new Random(1);
            var clock = Stopwatch.StartNew();
            var perMetric = points / metrics;
            for (var first = 0; first < perMetric; first += batch / metrics)
            {
                var rows = new List<MetricRow>(batch);
                for (var step = first; step < Math.Min(perMetric, first + (batch / metrics)); step++)
                {
                    for (var m = 0; m < metrics; m++)
                    {
                        rows.Add(new MetricRow(m == 0 ? "loss" : $"metric_{m}", step, step / 1000.0, Math.Exp(-step / 200_000.0) + (0.05 * random.NextDouble()), start.AddMilliseconds(step * 50)));
                    }
                }

                await MetricIngest.WriteAsync(db, run.Id, rows);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"ingest: {points / seconds:N0} points/s ({seconds:F1} s)");

            var last = perMetric - 1L;
            await TimeAsync("whole range, 1200 buckets", queries, () => MetricSeries.DownsampleAsync(db, run.Id, "loss"));
            await TimeAsync("zoom to 10% (random window)", queries, () =>
            {
                var from = random.NextInt64(0, last - (last / 10));
                return MetricSeries.DownsampleAsync(db, run.Id, "loss", from, from + (last / 10));
            });
            await TimeAsync("zoom to 1,000 steps (raw points)", queries, () =>
            {
                var from = random.NextInt64(0, last - 1000);
                return MetricSeries.DownsampleAsync(db, run.Id, "loss", from, from + 999);
            });
            await TimeAsync("whole range smoothed (ema:0.6, reads every point)", Math.Max(1, queries / 10), () => Smoothing.Parse("ema:0.6")!.SeriesAsync(db, run.Id, "loss", null, null, MetricSeries.DefaultBuckets));
            return 0;
        }
        finally
        {
            await db.Runs.Where(r => r.Id == run.Id).ExecuteDeleteAsync();
        }
    }

    private static async Task TimeAsync(string label, int repeats, Func<Task<Series>> query)
    {
        var series = await query();   // warm-up
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            series = await query();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"{label}: p50 {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms ({series.Points.Count} points returned)");
    }
}
