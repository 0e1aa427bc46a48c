namespace Slip.Web.Components.Shared;

/// <summary>Plotly layout colours for the light and dark themes: transparent backgrounds, readable text and grid.</summary>
public static class ChartTheme
{
    public static void Apply(Plotly.Blazor.Layout layout, bool dark)
    {
        layout.PaperBgColor = "rgba(0,0,0,0)";
        layout.PlotBgColor = "rgba(0,0,0,0)";
        layout.Font = new Plotly.Blazor.LayoutLib.Font { Color = dark ? "#e0e0e0" : "#444" };
        foreach (var axis in layout.XAxis ?? [])
        {
            axis.GridColor = dark ? "rgba(255,255,255,0.12)" : "#eee";
        }
    }
}
