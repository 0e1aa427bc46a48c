using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Slip.Data;
using Slip.Training;
using Slip.Web.Live;
using Slip.Web.Runs;
using Slip.Web.Tests;
using Xunit.Abstractions;

namespace Slip.E2E;

/// <summary>
/// The load benchmark (not part of ./test.sh; scripts/bench-load.sh runs it): 4 runs log 10 metrics each at 20 steps/s
/// through the workers' own recording path (RunRecorder: PostgreSQL COPY, then live updates), for a bounded time,
/// while 50 browser sessions (one Chromium, a context each) watch the runs' pages. Each page notes when every new
/// loss step appears in its chart; the delay from the moment the step was logged is the latency reported.
/// </summary>
[Trait("Category", "Bench")]
public sealed class LiveLoadBenchmark(ITestOutputHelper output)
{
    private const int Runs = 4;
    private const int MetricsPerRun = 10;
    private const int StepsPerSecond = 20;

    private static int Sessions => int.TryParse(Environment.GetEnvironmentVariable("SLIP_BENCH_SESSIONS"), out var n) ? n : 50;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("SLIP_BENCH_SECONDS"), out var s) ? s : 60;

    // Notes, as the loss chart draws, the time each step of its loss line first appears (a whole scan when the line
    // was replaced: a chart that reloads from the server draws every point again, not only new ones at the end).
    private const string Watch = """
        () => { window.__seen = {}; let line = null, scanned = 0;
            const el = document.getElementById('chart-loss');
            el.addEventListener('slipchart:drawn', () => {
                const t = el.chart && el.chart.traces.find(d => d.name === 'loss');
                if (!t) return;
                if (t !== line) { line = t; scanned = 0; }
                const now = Date.now();
                for (; scanned < t.x.length; scanned++) { const k = String(t.x[scanned]); if (!(k in window.__seen)) window.__seen[k] = now; }
            });
        }
        """;

    [Fact]
    public async Task FourRunsOfTenMetricsAtTwentyStepsPerSecondWatchedByFiftySessions()
    {
        var postgres = Environment.GetEnvironmentVariable("SLIP_TEST_POSTGRES")
            ?? throw new InvalidOperationException("SLIP_TEST_POSTGRES is not set: scripts/bench-load.sh starts PostgreSQL and sets it.");
        var database = $"slip_bench_{Guid.NewGuid():N}";
        await using var live = await LiveApp.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:Slip"] = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString,
            ["Slip:Workers:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        var steps = Seconds * StepsPerSecond;
        var runIds = new List<long>();
        await using (var db = await live.App.DbAsync())
        {
            for (var r = 0; r < Runs; r++)
            {
                var run = new Run { Name = $"load {r}", Objective = "SLIP", Model = "Micro", Dataset = "shapes-mini", ConfigJson = SlipAppFactory.TinyRun().ToJson(), Status = RunStatus.Running, TotalSteps = steps, CreatedAt = DateTime.UtcNow, StartedAt = DateTime.UtcNow };
                db.Runs.Add(run);
                await db.SaveChangesAsync();
                runIds.Add(run.Id);
            }
        }

        // The sessions: separate browser contexts sharing the admin's sign-in, each on one run's page.
        var state = await live.Page.Context.StorageStateAsync();
        var pages = new List<(IPage Page, int Run)>();
        var loading = Stopwatch.StartNew();
        for (var i = 0; i < Sessions; i++)
        {
            var context = await live.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = live.Address, StorageState = state });
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(120_000);
            await page.GotoAsync($"/runs/{runIds[i % Runs]}");
            await page.Locator("#chart-loss canvas").WaitForAsync();
            await page.EvaluateAsync(Watch);
            pages.Add((page, i % Runs));
        }

        output.WriteLine($"{Sessions} sessions open in {loading.Elapsed.TotalSeconds:F1} s");

        // The browsers stand in for 50 users' machines but share this one: they run at a lower priority, so the
        // server is measured as it would run, and what is left of the CPU draws the charts.
        LowerChromiumPriority();

        // The load: every 50 ms each run logs a step of 10 metrics through the recorder the training job uses.
        var services = live.App.Services;
        var recorders = runIds.Select(id => new RunRecorder(
            services.GetRequiredService<IDbContextFactory<SlipDbContext>>(), services.GetRequiredService<RunEventHub>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("bench"), id, (_, _) => Task.CompletedTask, CancellationToken.None)).ToList();
        var logged = new ConcurrentDictionary<(int Run, long Step), long>();
        var stored = new ConcurrentDictionary<(int Run, long Step), long>();   // when the store acknowledged it (the update is published)
        using var acknowledged = services.GetRequiredService<RunEventHub>().Subscribe(null, update =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var sample in update.Metrics?.Where(m => m.Name == "loss") ?? [])
            {
                stored.TryAdd((runIds.IndexOf(update.RunId), sample.Step), now);
            }
        });
        // One page's own main-thread time by kind (script, layout, style), from Chromium's performance metrics.
        var probe = await pages[0].Page.Context.NewCDPSessionAsync(pages[0].Page);
        await probe.SendAsync("Performance.enable");
        var probeBefore = await PageMetricsAsync(probe);
        var profile = Environment.GetEnvironmentVariable("SLIP_BENCH_PROFILE");
        if (profile is { Length: > 0 })
        {
            await probe.SendAsync("Profiler.enable");
            await probe.SendAsync("Profiler.start");
        }

        var trace = Environment.GetEnvironmentVariable("SLIP_BENCH_TRACE");
        var traceEvents = new List<string>();
        var traced = new TaskCompletionSource();
        if (trace is { Length: > 0 })
        {
            probe.Event("Tracing.dataCollected").OnEvent += (_, e) => traceEvents.AddRange(e!.Value.GetProperty("value").EnumerateArray().Select(v => v.GetRawText()));
            probe.Event("Tracing.tracingComplete").OnEvent += (_, _) => traced.TrySetResult();
            await probe.SendAsync("Tracing.start", new Dictionary<string, object> { ["categories"] = "devtools.timeline,disabled-by-default-devtools.timeline,blink,cc,viz,v8", ["transferMode"] = "ReportEvents" });
        }

        var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var browserBefore = ChromiumCpu();
        var kindsBefore = ChromiumCpuByKind();
        var peakRss = 0L;
        var clock = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            var due = TimeSpan.FromSeconds((double)step / StepsPerSecond);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            for (var r = 0; r < Runs; r++)
            {
                logged[(r, step)] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var values = Enumerable.Range(0, MetricsPerRun).ToDictionary(m => m == 0 ? "loss" : $"metric_{m}", m => Math.Sin(step / 50.0 + m) + r);
                await recorders[r].PostAsync(new TrainerEvent { Type = TrainerEvent.Metrics, Step = step, TotalSteps = steps, Epoch = step / 100.0, Values = values });
            }

            if (step % StepsPerSecond == 0)
            {
                LowerChromiumPriority();   // threads started since, and those Chromium gave a priority of its own
            }

            if (step % StepsPerSecond == 0)
            {
                self.Refresh();
                peakRss = Math.Max(peakRss, self.WorkingSet64);
            }
        }

        var behind = clock.Elapsed - TimeSpan.FromSeconds(Seconds);
        if (trace is { Length: > 0 })
        {
            await probe.SendAsync("Tracing.end");
            await traced.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await File.WriteAllTextAsync(trace, "[" + string.Join(",", traceEvents) + "]");
        }

        await Task.WhenAll(recorders.Select(r => r.CompleteAsync()));
        var wall = clock.Elapsed;
        self.Refresh();
        var serverCpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds / wall.TotalSeconds / Environment.ProcessorCount * 100;
        var browserCpu = (ChromiumCpu() - browserBefore) / wall.TotalSeconds / Environment.ProcessorCount * 100;
        var browserCpuByKind = ChromiumCpuByKind().ToDictionary(kv => kv.Key, kv => Math.Round((kv.Value - kindsBefore.GetValueOrDefault(kv.Key)) / wall.TotalSeconds / Environment.ProcessorCount * 100, 1));
        // Let every page catch up (bounded): a step never seen by then is counted as dropped.
        var catchUp = Stopwatch.StartNew();
        foreach (var (page, _) in pages)
        {
            var remaining = TimeSpan.FromSeconds(60) - catchUp.Elapsed;
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    await page.WaitForFunctionAsync($"() => window.__seen && ('{steps}' in window.__seen)", null, new PageWaitForFunctionOptions { Timeout = (float)remaining.TotalMilliseconds, PollingInterval = 100 });
                }
                catch (TimeoutException)
                {
                    break;
                }
            }
        }

        var caughtUpSeconds = catchUp.Elapsed.TotalSeconds;
        if (Environment.GetEnvironmentVariable("SLIP_BENCH_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await pages[0].Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        }

        var probeAfter = await PageMetricsAsync(probe);
        if (profile is { Length: > 0 })
        {
            var stopped = await probe.SendAsync("Profiler.stop");
            await File.WriteAllTextAsync(profile, stopped!.Value.GetProperty("profile").GetRawText());
        }

        var onePage = probeAfter.Where(kv => kv.Key.EndsWith("Duration", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => Math.Round((kv.Value - probeBefore.GetValueOrDefault(kv.Key)) / wall.TotalSeconds * 1000, 1));

        var latencies = new List<long>();
        var droppedOnPages = 0L;
        foreach (var (page, run) in pages)
        {
            var seen = await page.EvaluateAsync<Dictionary<string, long>>("() => window.__seen");
            for (var step = 1; step <= steps; step++)
            {
                if (seen.TryGetValue(step.ToString(CultureInfo.InvariantCulture), out var at))
                {
                    latencies.Add(at - logged[(run, step)]);
                }
                else
                {
                    droppedOnPages++;
                }
            }
        }

        long pointsStored;
        await using (var db = await live.App.DbAsync())
        {
            pointsStored = await db.MetricBlocks.SumAsync(b => (long)b.Count);
        }

        var storeLatencies = logged.Where(kv => stored.ContainsKey(kv.Key)).Select(kv => stored[kv.Key] - kv.Value).Order().ToList();

        latencies.Sort();
        long Percentile(double p) => At(latencies, p);
        var result = new
        {
            runs = Runs,
            metricsPerRun = MetricsPerRun,
            stepsPerSecond = StepsPerSecond,
            seconds = Seconds,
            sessions = Sessions,
            pointsLogged = (long)Runs * MetricsPerRun * steps,
            pointsStored,
            stepsDroppedOnPages = droppedOnPages,
            latencyMs = new { p50 = Percentile(0.50), p95 = Percentile(0.95), p99 = Percentile(0.99), max = latencies.Count == 0 ? -1 : latencies[^1], samples = latencies.Count },
            storedAndPublishedMs = new { p50 = At(storeLatencies, 0.50), p95 = At(storeLatencies, 0.95), max = storeLatencies.Count == 0 ? -1 : storeLatencies[^1] },
            loggerBehindSeconds = Math.Round(behind.TotalSeconds, 2),
            pagesCaughtUpSecondsAfterTheLastStep = Math.Round(caughtUpSeconds, 1),
            serverCpuPercentOfMachine = Math.Round(serverCpu, 1),
            browserCpuPercentOfMachine = Math.Round(browserCpu, 1),
            browserCpuPercentByProcessKind = browserCpuByKind,
            onePageMainThreadMsPerSecond = onePage,
            serverPeakRssMb = peakRss / (1024 * 1024),
            cores = Environment.ProcessorCount,
        };
        var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
        output.WriteLine(json);
        if (Environment.GetEnvironmentVariable("SLIP_BENCH_OUT") is { Length: > 0 } file)
        {
            await File.WriteAllTextAsync(file, json);
        }

        foreach (var (page, _) in pages)
        {
            await page.Context.CloseAsync();
        }

        await using (var admin = new Npgsql.NpgsqlConnection(postgres))
        {
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal(result.pointsLogged, pointsStored);
        Assert.Equal(0, droppedOnPages);
    }

    private static async Task<Dictionary<string, double>> PageMetricsAsync(ICDPSession session)
    {
        var reply = await session.SendAsync("Performance.getMetrics");
        return reply!.Value.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }

    private static long At(List<long> sorted, double p) => sorted.Count == 0 ? -1 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>
    /// Renices every thread of every Chromium process to 10. Linux applies nice per thread, and Chromium (as root)
    /// sets its threads' priorities itself (compositing threads at -8): starting it under nice is not enough, so this
    /// runs every second.
    /// </summary>
    private static void LowerChromiumPriority()
    {
        var threads = ChromiumProcesses().SelectMany(dir =>
        {
            try
            {
                return Directory.EnumerateDirectories(Path.Combine(dir, "task")).Select(t => Path.GetFileName(t)).ToList();
            }
            catch (IOException)
            {
                return [];   // the process ended while being read
            }
        }).ToList();
        if (threads.Count > 0)
        {
            using var renice = Process.Start(new ProcessStartInfo("renice", ["-n", "10", "-p", .. threads]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var said = renice.StandardOutput.ReadToEndAsync();   // a line per thread: read it, or a full pipe blocks renice
            var complained = renice.StandardError.ReadToEndAsync();
            renice.WaitForExit();
            _ = (said.Result, complained.Result);
        }
    }

    /// <summary>CPU seconds used so far by every Chromium process (from /proc), to show what the browsers cost.</summary>
    private static double ChromiumCpu() => ChromiumCpuByKind().Values.Sum();

    /// <summary>CPU seconds used so far by the Chromium processes of each kind (renderer, gpu-process, browser, ...).</summary>
    private static Dictionary<string, double> ChromiumCpuByKind()
    {
        var seconds = new Dictionary<string, double>();
        foreach (var dir in ChromiumProcesses())
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);   // utime, stime
                // Zygote-forked processes rewrite their command line as one space-separated string.
                var type = File.ReadAllText(Path.Combine(dir, "cmdline")).Split(['\0', ' ']).FirstOrDefault(a => a.StartsWith("--type=", StringComparison.Ordinal));
                var kind = type is null ? "browser" : type["--type=".Length..];
                seconds[kind] = seconds.GetValueOrDefault(kind) + (ticks / 100.0);   // USER_HZ
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }

        return seconds;
    }

    /// <summary>The /proc folders of the running Chromium processes.</summary>
    private static IEnumerable<string> ChromiumProcesses()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsAsciiDigit(Path.GetFileName(d)[0])))
        {
            string comm;
            try
            {
                comm = File.ReadAllText(Path.Combine(dir, "comm"));
            }
            catch (IOException)
            {
                continue;   // the process ended while being read
            }

            if (comm.StartsWith("chrom", StringComparison.Ordinal))
            {
                yield return dir;
            }
        }
    }
}
