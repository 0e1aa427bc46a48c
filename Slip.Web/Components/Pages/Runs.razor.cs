using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using Slip.Data;
using Slip.Web.Live;
using Slip.Web.Runs;

namespace Slip.Web.Components.Pages;

/// <summary>
/// The runs table: filtered, sorted and paged on the server through <see cref="RunQuery"/>, with metric columns, live
/// refresh on run updates, and compare or diff for the runs ticked.
/// </summary>
public sealed partial class Runs
{
    [Inject] private IDbContextFactory<SlipDbContext> DbFactory { get; set; } = default!;
    [Inject] private RunEventHub Hub { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private static readonly Dictionary<string, string> SortKeys = new()
    {
        ["Name"] = "name",
        ["Objective"] = "objective",
        ["Model"] = "model",
        ["Dataset"] = "dataset",
        ["Status"] = "status",
        ["Progress"] = "progress",
        ["Started"] = "started",
    };

    private MudDataGrid<RunRow>? grid;
    private RunFilter filter = new();
    private List<string> columns = [];
    private IReadOnlyList<string> metricNames = [];
    private (IReadOnlyList<string> Objectives, IReadOnlyList<string> Models, IReadOnlyList<string> Datasets, IReadOnlyList<string> Tags) facets = ([], [], [], []);
    private HashSet<RunRow> selected = [];
    private int total = -1;
    private bool empty;
    private IDisposable? subscription;
    private Timer? debounce;

    protected override async Task OnInitializedAsync()
    {
        subscription = Hub.Subscribe(null, _ => debounce?.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan));
        debounce = new Timer(_ => InvokeAsync(ReloadAsync), null, Timeout.Infinite, Timeout.Infinite);
        await LoadFacetsAsync();
    }

    private async Task LoadFacetsAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        empty = !await db.Runs.AnyAsync();
        metricNames = await RunQuery.MetricNamesAsync(db);
        facets = await RunQuery.FacetsAsync(db);
    }

    private async Task<GridData<RunRow>> LoadAsync(GridStateVirtualize<RunRow> state, CancellationToken ct)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var key = sort is null ? null : SortKeys.GetValueOrDefault(sort.SortBy) ?? (columns.Contains(sort.SortBy) ? $"metric:{sort.SortBy}:last" : null);
        var current = key is null ? filter : filter with { Sort = key, Descending = sort!.Descending };
        await using var db = await DbFactory.CreateDbContextAsync(ct);
        var (rows, count) = await RunQuery.PageAsync(db, current, state.StartIndex, state.Count, columns, ct);
        if (count != total)
        {
            total = count;
            _ = InvokeAsync(StateHasChanged);   // the count sits outside the grid
        }

        return new GridData<RunRow> { Items = rows, TotalItems = count };
    }

    private async Task FilterChangedAsync(RunFilter next)
    {
        filter = next;
        await RefreshGridAsync();
    }

    private async Task ColumnsChangedAsync(List<string> next)
    {
        columns = next;
        await RefreshGridAsync();
    }

    private async Task RefreshGridAsync()
    {
        if (grid is not null)
        {
            await grid.ReloadServerData();
        }

        StateHasChanged();
    }

    private async Task ReloadAsync()
    {
        var wasEmpty = empty;
        await LoadFacetsAsync();
        if (wasEmpty && !empty)
        {
            StateHasChanged();
            return;
        }

        await RefreshGridAsync();
    }

    public void Dispose()
    {
        subscription?.Dispose();
        debounce?.Dispose();
    }
}
