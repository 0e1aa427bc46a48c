using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// When a worker host starts: each of its devices is checked by the trainer's <c>doctor</c>, run as a child on that
/// device exactly as a run's trainer is (same binary, same CUDA_VISIBLE_DEVICES, same environment), and the result is
/// stored per worker (<see cref="WorkerCheck"/>) for the Queue view. A check that cannot start, times out or prints no
/// report is stored as failed with the reason. It runs in the background after start-up (migrations first) and never
/// holds the host back: a failed check is a finding to show, not a reason to stop serving.
/// </summary>
public sealed class WorkerSelfCheck(
    IOptions<SlipOptions> options,
    IDbContextFactory<SlipDbContext> dbFactory,
    WorkerRegistry workers,
    TimeProvider clock,
    ILogger<WorkerSelfCheck> logger) : BackgroundService
{
    /// <summary>Longer than a first CUDA context and the check's steps need on any machine Slip supports.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var device in workers.Devices)
        {
            var (passed, summary, report) = await CheckAsync(device, stoppingToken);
            try
            {
                await SlipStore.MigrateAsync(dbFactory, stoppingToken);   // a no-op after the start-up reconciler's
                await StoreAsync(device, passed, summary, report, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store being away must not stop the host (a BackgroundService's fault would): the log keeps the result.
                logger.LogWarning(ex, "The device self-check of {Worker} could not be stored.", WorkerRegistry.ServerName(device));
            }

            if (passed)
            {
                logger.LogInformation("Device self-check of {Worker}: {Summary}", WorkerRegistry.ServerName(device), summary);
            }
            else
            {
                logger.LogWarning("Device self-check of {Worker} failed: {Summary}", WorkerRegistry.ServerName(device), summary);
            }
        }
    }

    /// <summary>Runs <c>doctor --json</c> on the device; the verdict, its one-line summary and the whole report.</summary>
    private async Task<(bool Passed, string Summary, string Report)> CheckAsync(string device, CancellationToken stop)
    {
        var settings = options.Value;
        var folder = Directory.CreateDirectory(Path.Combine(settings.DataDirectory, "self-check")).FullName;
        TrainerProcess child;
        try
        {
            child = TrainerProcess.Start(settings, ["doctor", "--json"], folder, device, run: false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (false, $"The trainer could not be started: {ex.Message}", "{}");
        }

        await using (child)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(Timeout);
            string output;
            try
            {
                output = await child.ReadOutputAsync(timeout.Token);
                await child.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                child.Kill();
                return (false, $"The check did not finish within {Timeout.TotalMinutes:F0} minutes.", "{}");
            }

            return Verdict(output, child);
        }
    }

    private static (bool Passed, string Summary, string Report) Verdict(string output, TrainerProcess child)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal);
        var json = start < 0 ? "" : output[start..].Trim();
        try
        {
            using var report = JsonDocument.Parse(json);
            var passed = report.RootElement.GetProperty("passed").GetBoolean();
            var summaries = report.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("summary").GetString()).ToList();
            return (passed, string.Join(" ", summaries), json);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (false, child.DescribeExit().Replace("The trainer process", "The device check", StringComparison.Ordinal), "{}");
        }
    }

    private async Task StoreAsync(string device, bool passed, string summary, string report, CancellationToken stop)
    {
        var worker = WorkerRegistry.ServerName(device);
        await using var db = await dbFactory.CreateDbContextAsync(stop);
        var row = await db.WorkerChecks.SingleOrDefaultAsync(c => c.Worker == worker, stop);
        if (row is null)
        {
            row = new WorkerCheck { Worker = worker };
            db.WorkerChecks.Add(row);
        }

        row.Host = WorkerRegistry.HostName;
        row.Device = device;
        row.CheckedAt = clock.GetUtcNow().UtcDateTime;
        row.Passed = passed;
        row.Summary = summary.Length > 2000 ? summary[..1997] + "..." : summary;
        row.ReportJson = report;
        await db.SaveChangesAsync(stop);
    }
}
