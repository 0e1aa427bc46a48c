namespace Slip.Web.Components.Shared;

/// <summary>
/// Text for Plotly (trace names, titles, hover text): Plotly renders a subset of HTML there (links, styled spans), so
/// in what users typed (run names, tags, a <c>?metric=</c> in a shared link) the characters that make markup are
/// written as the entities Plotly decodes (&amp;amp; &amp;lt; &amp;gt;; it shows &amp;quot; as typed), and it shows as typed.
/// </summary>
public static class PlotlyText
{
    public static string Of(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
