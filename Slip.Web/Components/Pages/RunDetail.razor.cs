using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using Slip.Data;
using Slip.Training;
using Slip.Web.Components.Shared;
using Slip.Web.Datasets;
using Slip.Web.Live;
using Slip.Web.Runs;
using Slip.Web.Security;

namespace Slip.Web.Components.Pages;

/// <summary>
/// The Run page: status, live charts, system strip, checkpoints, evaluations and attempts of one run, kept current by
/// the run's updates; cancel, resume and delete for operators. What it reads comes from <see cref="RunPageQuery"/>.
/// </summary>
public sealed partial class RunDetail
{
    [Inject] private IDbContextFactory<SlipDbContext> DbFactory { get; set; } = default!;
    [Inject] private RunEventHub Hub { get; set; } = default!;
    [Inject] private RunLauncher Launcher { get; set; } = default!;
    [Inject] private RunResumer Resumer { get; set; } = default!;
    [Inject] private DatasetRegistry DatasetRegistry { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private static readonly (string Id, string Title, string[] Metrics)[] Charts =
    [
        ("loss", "Losses", [MetricNames.Loss, MetricNames.ClipLoss, MetricNames.SslLoss]),
        ("objective", "SLIP loss = CLIP + ssl_scale × SSL", [MetricNames.ClipLoss, MetricNames.SslLoss]),
        ("acc", "Accuracy (%)", [MetricNames.ClipAcc, MetricNames.SslAcc]),
        ("logit", "Logit scale (clamped at 100)", [MetricNames.LogitScale]),
        ("zeroshot", "Zero-shot, held-out (%)", [MetricNames.ZeroShotAcc1, MetricNames.ZeroShotAcc5]),
        ("lr", "Learning rate", [MetricNames.LearningRate]),
        ("data", "Data loader", [MetricNames.DataWaitPct, MetricNames.DataSkipped]),
        ("throughput", "Throughput (images/s)", [MetricNames.ImagesPerSecond]),
        ("load", "CPU and GPU use (%)", [MetricNames.CpuPct, MetricNames.GpuUtilPct]),
        ("memory", "Memory (MB)", [MetricNames.RssMb, MetricNames.GpuMemMb]),
    ];

    private readonly Dictionary<string, MetricChart> charts = [];
    private static readonly Dictionary<string, double> NoScales = [];
    private static readonly (double, string)[] LogitClamp = [(Math.Exp(Slip.Training.Models.SlipModel.MaxLogitScale), "clamp 100")];
    private Dictionary<string, double> sslShare = [];
    private ChartView view = new();
    private Dictionary<string, double> latest = [];
    private long samplesPerStep = 1;
    private List<Checkpoint> checkpoints = [];
    private List<Evaluation> evaluations = [];
    private Dictionary<long, IReadOnlyList<string>> aliases = [];
    private IReadOnlyList<string> datasetNames = [];
    private Run? run;
    private bool loaded;
    private bool cancelling;
    private bool resuming;
    private DateTime lastRender;
    private bool canOperate;
    private int chartGeneration;
    private IReadOnlyList<AttemptView> attempts = [];
    private IDisposable? subscription;

    [Parameter] public long RunId { get; set; }

    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }

    protected override async Task OnInitializedAsync()
    {
        // Subscribe before loading so no point falls between the two; charts drop steps they already have.
        canOperate = await UserAccess.CanOperateAsync(AuthState);
        subscription = Hub.Subscribe(RunId, update => _ = InvokeAsync(() => ApplyAsync(update)));
        await using var db = await DbFactory.CreateDbContextAsync();
        run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == RunId);
        if (run is not null)
        {
            var config = RunConfig.FromJson(run.ConfigJson);
            samplesPerStep = (long)config.Optim.BatchSize * config.Optim.UpdateFreq;
            sslShare = new Dictionary<string, double> { [MetricNames.SslLoss] = config.Ssl.Scale };
            await LoadCheckpointsAsync(db);
            evaluations = await RunPageQuery.EvaluationsAsync(db, RunId);
            attempts = await RunPageQuery.AttemptsAsync(db, RunId);
            latest = await RunPageQuery.LatestAsync(db, RunId, SystemStrip.Metrics);
            datasetNames = await DatasetRegistry.NamesAsync();
        }

        loaded = true;
    }

    /// <summary>The charts' data: bucketed (or smoothed) series of this run, one short-lived context per query.</summary>
    private async Task<Series> LoadSeriesAsync(SeriesQuery query)
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        return query.Smoothing is { } smoothing
            ? await smoothing.SeriesAsync(db, RunId, query.Name, query.From, query.To, MetricSeries.DefaultBuckets)
            : await MetricSeries.DownsampleAsync(db, RunId, query.Name, query.From, query.To);
    }

    private async Task LoadCheckpointsAsync(SlipDbContext db)
    {
        (checkpoints, aliases) = await RunPageQuery.CheckpointsAsync(db, run!);
    }

    private async Task ReloadEvaluationsAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        evaluations = await RunPageQuery.EvaluationsAsync(db, RunId);
        StateHasChanged();
    }

    private async Task ApplyAsync(RunUpdate update)
    {
        if (run is null)
        {
            return;
        }

        if (update.Deleted)
        {
            run = null;   // the page says the run does not exist
            StateHasChanged();
            return;
        }

        if (update.MetricsRewound)
        {
            // A resume moved the lost attempt's later points aside: the charts load again without them.
            chartGeneration++;
        }

        if (update.Metrics is { Count: > 0 } samples)
        {
            foreach (var sample in samples.Where(m => SystemStrip.Metrics.Contains(m.Name)))
            {
                latest[sample.Name] = sample.Value;
            }

            foreach (var chart in charts.Values)
            {
                await chart.AppendAsync(samples);
            }
        }

        if (update.EvaluationChanged)
        {
            await ReloadEvaluationsAsync();
        }

        if (update.Status is null && !update.CheckpointAdded && !update.MetricsRewound)
        {
            // Progress and new points (many a second): no query, and at most one render a second; charts draw
            // their points themselves.
            if (update.Step is { } step)
            {
                run.Step = step;
                run.TotalSteps = update.TotalSteps ?? run.TotalSteps;
                run.Progress = run.TotalSteps > 0 ? (double)step / run.TotalSteps : 0;
            }

            if (DateTime.UtcNow - lastRender > TimeSpan.FromSeconds(1))
            {
                lastRender = DateTime.UtcNow;
                StateHasChanged();
            }
        }
        else
        {
            await using var db = await DbFactory.CreateDbContextAsync();
            run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == RunId) ?? run;
            if (update.CheckpointAdded || update.Status is not null)
            {
                await LoadCheckpointsAsync(db);
            }

            if (update.Status is not null)
            {
                attempts = await RunPageQuery.AttemptsAsync(db, RunId);
            }

            StateHasChanged();
        }
    }

    private async Task CancelAsync()
    {
        cancelling = true;
        if (!await Launcher.CancelAsync(RunId))
        {
            Snackbar.Add("This run has already finished.", Severity.Info);
        }

        await using var db = await DbFactory.CreateDbContextAsync();
        run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == RunId) ?? run;
        cancelling = false;
    }

    private async Task ResumeAsync()
    {
        resuming = true;
        var result = await Resumer.ResumeAsync(RunId);
        if (!result.Succeeded)
        {
            Snackbar.Add(result.Problem ?? "The run could not be resumed.", Severity.Error);
        }
        else
        {
            Snackbar.Add($"Resumed: attempt {result.Attempt} is queued.", Severity.Success);
        }

        resuming = false;
    }

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this run?",
            $"Run #{RunId} \"{run?.Name}\", its metrics, checkpoints and evaluations will be deleted from the store and the disk. This cannot be undone.",
            yesText: "Delete", cancelText: "Keep");
        if (confirmed != true)
        {
            return;
        }

        var (_, problem) = await Launcher.DeleteAsync(RunId);
        if (problem is not null)
        {
            Snackbar.Add(problem, Severity.Error);
            return;
        }

        Snackbar.Add($"Run #{RunId} deleted.", Severity.Info);
        Navigation.NavigateTo("/");
    }

    public void Dispose() => subscription?.Dispose();
}
