using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using Slip.Data;
using Slip.Web.Components.Shared;
using Slip.Web.Live;
using Slip.Web.Sweeps;

namespace Slip.Web.Components.Pages;

/// <summary>
/// A sweep: its progress, each arm's best config (chosen on validation, reported on test), the selection metric
/// against a knob, and its runs; refreshed as its runs change. Cancel and resume act on every run of the sweep.
/// </summary>
public sealed partial class SweepDetail : IDisposable
{
    private static readonly string[] Palette = ["31, 119, 180", "255, 127, 14", "44, 160, 44", "214, 39, 40", "148, 103, 189", "140, 86, 75"];
    private SweepView? view;
    private bool missing;
    private string? message;
    private string? knob;
    private PlotlyChart? chart;
    private Config config = new() { Responsive = true, DisplayLogo = false };
    private Plotly.Blazor.Layout layout = new() { Height = 360, UiRevision = "keep" };
    private IList<ITrace> data = new List<ITrace>();
    private IDisposable? subscription;
    private Timer? debounce;

    [Inject] private IDbContextFactory<SlipDbContext> DbFactory { get; set; } = default!;
    [Inject] private SweepLauncher Launcher { get; set; } = default!;
    [Inject] private RunEventHub Hub { get; set; } = default!;

    [Parameter] public long Id { get; set; }

    [CascadingParameter(Name = "DarkMode")] public bool Dark { get; set; }

    private double Done => view is { Progress.Total: > 0 } v ? 100.0 * (v.Progress.Total - v.Progress.Queued - v.Progress.Running) / v.Progress.Total : 0;

    // The test metrics a run table shows: the top-1 ones.
    private IReadOnlyList<string> RunMetrics => view!.Runs.SelectMany(r => r.Test.Keys).Distinct()
        .Where(k => k.EndsWith("acc1", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToList();

    private string CurvesHref => $"/compare/curves?runs={string.Join(',', view!.Runs.Select(r => r.Id))}&metric={Uri.EscapeDataString(view.SelectMetric)}"
        + (view.Definition.Arms.Count == 1 ? $"&group={Uri.EscapeDataString(Slip.Training.Sweeps.SweepPlan.CanonicalKey(view.Definition.Arms[0]) ?? view.Definition.Arms[0])}" : "");

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        subscription = Hub.Subscribe(null, update => debounce?.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan));
        debounce = new Timer(_ => InvokeAsync(async () => { await LoadAsync(); await PlotAsync(); StateHasChanged(); }), null, Timeout.Infinite, Timeout.Infinite);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await PlotAsync();
        }
    }

    private async Task LoadAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        view = await SweepQuery.GetAsync(db, Id);
        missing = view is null;
        knob ??= view?.Knobs.FirstOrDefault(k => view.Runs.Any(r => SweepQuery.Number(r.Values.GetValueOrDefault(k)) is not null)) ?? view?.Knobs.FirstOrDefault();
    }

    private async Task PlotAsync()
    {
        if (view is null || chart is null || knob is null)
        {
            return;
        }

        data.Clear();
        var arms = view.Runs.Where(r => r.Selection is not null).GroupBy(r => r.Arm).ToList();
        for (var i = 0; i < arms.Count; i++)
        {
            data.Add(new Scatter
            {
                Name = PlotlyText.Of(arms[i].Key),
                Mode = ModeFlag.Markers,
                X = arms[i].Select(r => SweepQuery.Number(r.Values.GetValueOrDefault(knob)) is { } x ? (object)x : SweepQuery.Display(r.Values.GetValueOrDefault(knob))).ToList(),
                Y = arms[i].Select(r => (object)r.Selection!.Value).ToList(),
                TextArray = arms[i].Select(r => PlotlyText.Of($"{r.Name} (seed {r.Seed})")).ToArray(),
                Marker = new Marker { Color = $"rgb({Palette[i % Palette.Length]})", Size = 9 },
            });
        }

        var numeric = view.Runs.All(r => SweepQuery.Number(r.Values.GetValueOrDefault(knob)) is not null);
        layout.XAxis = [new Plotly.Blazor.LayoutLib.XAxis { Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = PlotlyText.Of(knob) }, Type = numeric ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Log : Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Category }];
        layout.YAxis = [new Plotly.Blazor.LayoutLib.YAxis { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = PlotlyText.Of(view.SelectMetric) } }];
        ChartTheme.Apply(layout, Dark);
        await chart.React();
    }

    private async Task CancelAsync()
    {
        var cancelled = await Launcher.CancelAsync(Id);
        message = $"Cancelled {cancelled} queued or running runs.";
        await LoadAsync();
    }

    private async Task ResumeAsync()
    {
        if (await Launcher.ResumeAsync(Id) is { } outcome)
        {
            message = $"Resumed {outcome.Resumed} runs." + (outcome.Problems.Count > 0 ? " Not resumed: " + string.Join(" ", outcome.Problems) : "");
        }

        await LoadAsync();
    }

    public void Dispose()
    {
        subscription?.Dispose();
        debounce?.Dispose();
    }
}
