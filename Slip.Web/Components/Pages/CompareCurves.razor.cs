using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using Slip.Data;
using Slip.Training;
using Slip.Web.Compare;
using Slip.Web.Components.Shared;

namespace Slip.Web.Components.Pages;

/// <summary>
/// Compare curves: one metric of chosen runs overlaid, or grouped by a config key with mean ± std bands; the choice
/// lives in the address. Reads through <see cref="CurveChoicesQuery"/> and <see cref="CurveComparison"/>.
/// </summary>
public sealed partial class CompareCurves
{
    [Inject] private IDbContextFactory<SlipDbContext> DbFactory { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private static readonly string[] Palette = ["31, 119, 180", "255, 127, 14", "44, 160, 44", "214, 39, 40", "148, 103, 189", "140, 86, 75", "227, 119, 194", "127, 127, 127", "188, 189, 34", "23, 190, 207"];
    private PlotlyChart? chart;
    private Config config = new() { Responsive = true, DisplayLogo = false };
    private Plotly.Blazor.Layout layout = new() { Height = 480, UiRevision = "keep", Legend = [new Plotly.Blazor.LayoutLib.Legend { TraceOrder = Plotly.Blazor.LayoutLib.LegendLib.TraceOrderFlag.Normal }], XAxis = [new Plotly.Blazor.LayoutLib.XAxis { Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = "step" } }] };
    private IList<ITrace> data = new List<ITrace>();
    private List<(long Id, string Name)> runs = [];
    private List<long> chosen = [];
    private IReadOnlyList<string> metrics = [];
    private IReadOnlyList<string> groupKeys = [];
    private string? metric;
    private string? group;
    private CurveOverlay? overlay;

    [CascadingParameter(Name = "DarkMode")] public bool Dark { get; set; }

    [SupplyParameterFromQuery(Name = "runs")] public string? RunsParameter { get; set; }
    [SupplyParameterFromQuery(Name = "metric")] public string? MetricParameter { get; set; }
    [SupplyParameterFromQuery(Name = "group")] public string? GroupParameter { get; set; }

    private string CsvHref => $"/api/compare/curves?format=csv&runs={string.Join(',', chosen)}&metric={Uri.EscapeDataString(metric ?? "")}" + (group is null ? "" : $"&group={Uri.EscapeDataString(group)}");

    protected override async Task OnInitializedAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        runs = await CurveChoicesQuery.RecentRunsAsync(db);
        chosen = (RunsParameter ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => long.TryParse(t, out var id) ? id : -1).Where(id => runs.Any(r => r.Id == id)).ToList();
        (metric, group) = (MetricParameter, GroupParameter);
        await RefreshChoicesAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await LoadAsync();
        }
    }

    private async Task ChooseAsync(List<long> ids)
    {
        chosen = ids;
        await RefreshChoicesAsync();
        await LoadAsync();
    }

    /// <summary>The metrics the chosen runs logged, and the config keys on which they differ (what grouping can split on).</summary>
    private async Task RefreshChoicesAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        metrics = await CurveChoicesQuery.MetricsAsync(db, chosen);
        metric ??= metrics.Contains(MetricNames.Loss) ? MetricNames.Loss : metrics.FirstOrDefault();
        groupKeys = await CurveChoicesQuery.DifferingKeysAsync(db, chosen);
    }

    private async Task LoadAsync()
    {
        if (chart is null)
        {
            return;
        }

        data.Clear();
        overlay = null;
        if (chosen.Count > 0 && metric is not null)
        {
            await using var db = await DbFactory.CreateDbContextAsync();
            overlay = await CurveComparison.LoadAsync(db, chosen, metric, group);
            for (var i = 0; i < overlay.Lines.Count; i++)
            {
                var line = overlay.Lines[i];
                var colour = Palette[i % Palette.Length];
                var xs = line.Steps.Select(s => (object)s).ToList();
                data.Add(new Scatter { Name = PlotlyText.Of(line.Label), Mode = ModeFlag.Lines, X = xs, Y = line.Mean.Select(v => (object)v).ToList(), Line = new Line { Color = $"rgb({colour})", Width = 2 } });
                if (line.Std.Any(s => s is not null))
                {
                    data.Add(new Scatter { Name = PlotlyText.Of(line.Label + " −std"), Mode = ModeFlag.Lines, X = xs, Y = line.Mean.Zip(line.Std, (m, s) => (object)(m - (s ?? 0))).ToList(), Line = new Line { Width = 0, Color = $"rgba({colour}, 0)" }, ShowLegend = false, HoverInfo = HoverInfoFlag.Skip });
                    data.Add(new Scatter { Name = PlotlyText.Of(line.Label + " +std"), Mode = ModeFlag.Lines, X = xs, Y = line.Mean.Zip(line.Std, (m, s) => (object)(m + (s ?? 0))).ToList(), Line = new Line { Width = 0, Color = $"rgba({colour}, 0)" }, Fill = FillEnum.ToNextY, FillColor = $"rgba({colour}, 0.15)", ShowLegend = false, HoverInfo = HoverInfoFlag.Skip });
                }
            }

            layout.Title = new Plotly.Blazor.LayoutLib.Title { Text = PlotlyText.Of(metric + (group is null ? "" : $" by {group}")) };
            ChartTheme.Apply(layout, Dark);
            Navigation.NavigateTo($"/compare/curves?runs={string.Join(',', chosen)}&metric={Uri.EscapeDataString(metric)}" + (group is null ? "" : $"&group={Uri.EscapeDataString(group)}"), replace: true);
        }

        await chart.React();
        StateHasChanged();
    }
}
