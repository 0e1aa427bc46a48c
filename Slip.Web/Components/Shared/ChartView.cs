using Slip.Data;

namespace Slip.Web.Components.Shared;

/// <summary>What a chart's x-axis shows.</summary>
public enum XAxisKind
{
    Step,
    Epoch,
    Samples,
    Time,
}

/// <summary>How a page's charts are drawn: the x-axis, the smoothing (null for none), and whether new points are drawn as they arrive.</summary>
public sealed record ChartView(XAxisKind XAxis = XAxisKind.Step, Smoothing? Smoothing = null, bool Live = true);

/// <summary>A chart's request for one metric's series over a step range (null ends: the whole run), raw or smoothed.</summary>
public sealed record SeriesQuery(string Name, long? From, long? To, Smoothing? Smoothing);
