using Microsoft.EntityFrameworkCore;
using Slip.Data;
using Slip.Web.Api;

namespace Slip.Web.Compare;

/// <summary>Comparisons: the paper-style table of finished runs, and overlays of one metric across chosen runs.</summary>
public static class CompareEndpoints
{
    public static RouteGroupBuilder MapCompareApi(this RouteGroupBuilder api)
    {
        api.MapGet("/compare", CompareAsync).Succeeds<IReadOnlyList<ComparisonRow>>("The ablation table (as the paper's): each run's final scores; format json, csv, md or tex.")
            .AlsoAsFile("text/csv", "text/markdown", "application/x-tex").Answers(400);
        api.MapGet("/compare/curves", CurvesAsync).Succeeds<CurveOverlay>("One metric of several runs on shared steps, optionally grouped (mean and spread across seeds); json or csv.")
            .AlsoAsFile("text/csv").Answers(400).Answers(404);
        return api;
    }

    /// <summary>The paper-style comparison of finished runs: JSON rows, or a file as csv, md (Markdown) or tex (LaTeX).</summary>
    private static async Task<IResult> CompareAsync(string? format, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = ComparisonTable.Build(await ComparisonQuery.LoadAsync(db, ct));
        return format switch
        {
            null or "json" => Results.Ok(rows),
            "csv" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonTable.ToCsv(rows)), "text/csv", "slip-comparison.csv"),
            "md" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonTable.ToMarkdown(rows)), "text/markdown", "slip-comparison.md"),
            "tex" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonTable.ToLatex(rows)), "application/x-tex", "slip-comparison.tex"),
            _ => Results.Problem($"Unknown format '{format}'. Known: json, csv, md, tex.", statusCode: StatusCodes.Status400BadRequest),
        };
    }

    /// <summary>One metric of the chosen runs on shared step buckets, per run or grouped by a config key (mean ± std); JSON or csv.</summary>
    private static async Task<IResult> CurvesAsync(string? runs, string? metric, string? group, string? format, IDbContextFactory<SlipDbContext> dbFactory, CancellationToken ct)
    {
        var ids = (runs ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => long.TryParse(t, out var id) ? id : -1).ToList();
        if (ids.Count == 0 || ids.Contains(-1) || ids.Count > CurveComparison.MaxRuns)
        {
            return Results.Problem($"runs must list 1 to {CurveComparison.MaxRuns} run ids separated by commas.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (string.IsNullOrWhiteSpace(metric))
        {
            return Results.Problem("Say which metric to compare (metric=loss).", statusCode: StatusCodes.Status400BadRequest);
        }

        if (format is not (null or "json" or "csv"))
        {
            return Results.Problem($"Unknown format '{format}'. Known: json, csv.", statusCode: StatusCodes.Status400BadRequest);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = await db.Runs.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
        if (ids.Except(known).ToList() is { Count: > 0 } unknown)
        {
            return ApiResults.NotFound($"Run {string.Join(", ", unknown)} does not exist.");
        }

        var overlay = await CurveComparison.LoadAsync(db, ids.Distinct().ToList(), metric, string.IsNullOrWhiteSpace(group) ? null : group, ct: ct);
        return format == "csv"
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(CurveComparison.ToCsv(overlay)), "text/csv", $"slip-{metric}.csv")
            : Results.Ok(overlay);
    }
}
