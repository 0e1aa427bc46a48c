using Slip.Data;
using Slip.Training;

namespace Slip.Web.Runs;

/// <summary>GET /api/runs/{id}: a run, its config (every key, after the cascade) and its checkpoints.</summary>
public sealed record RunDetail(
    long Id, string Name, string Status, string Objective, string Model, string Dataset, long Step, long TotalSteps, double Progress,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, string? Error, string? Worker, RunConfig Config, IReadOnlyList<CheckpointLink> Checkpoints)
{
    public static RunDetail Of(Run run, IReadOnlyList<CheckpointLink> checkpoints) => new(
        run.Id, run.Name, run.Status.ToString(), run.Objective, run.Model, run.Dataset, run.Step, run.TotalSteps, run.Progress,
        run.CreatedAt, run.StartedAt, run.FinishedAt, run.Error, run.Worker, RunConfig.FromJson(run.ConfigJson), checkpoints);
}

/// <summary>A checkpoint of a run, with where to download it.</summary>
public sealed record CheckpointLink(long Id, int Epoch, long Step, long Bytes, string Sha256, string Download);

/// <summary>One stored point of a metric.</summary>
public sealed record MetricPointAnswer(long Step, double Epoch, double Value, DateTime Time);

/// <summary>One metric of a run at a glance; best is the minimum for losses, else the maximum.</summary>
public sealed record MetricSummaryAnswer(
    string Name, long Count, long FirstStep, long LastStep, double Last, DateTime LastTime, double Min, long MinStep, double Max, long MaxStep, double Best, long BestStep)
{
    public static MetricSummaryAnswer Of(MetricSummary s) =>
        new(s.Name, s.Count, s.FirstStep, s.LastStep, s.Last, s.LastTime, s.Min, s.MinStep, s.Max, s.MaxStep, s.Best, s.BestStep);
}

/// <summary>GET /api/runs: one page of the runs table and how many runs match in all.</summary>
public sealed record RunTablePage(int Total, IReadOnlyList<RunTableRow> Runs);

/// <summary>A row of the runs table, with the metric columns asked for.</summary>
public sealed record RunTableRow(
    long Id, string Name, string Objective, string Model, string Dataset, string Status, IReadOnlyList<string> Tags, string Notes, long Step, long TotalSteps,
    double Progress, double? EtaSeconds, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, long? ClonedFromId, IReadOnlyDictionary<string, MetricCell> Metrics)
{
    public static RunTableRow Of(RunRow r) => new(
        r.Run.Id, r.Run.Name, r.Run.Objective, r.Run.Model, r.Run.Dataset, r.Run.Status.ToString(), r.Tags, r.Run.Notes, r.Run.Step, r.Run.TotalSteps,
        r.Run.Progress, r.Eta?.TotalSeconds, r.Run.CreatedAt, r.Run.StartedAt, r.Run.FinishedAt, r.Run.ClonedFromId,
        r.Metrics.ToDictionary(m => m.Key, m => new MetricCell(m.Value.Last, m.Value.Best, m.Value.BestStep, m.Value.Count)));
}

/// <summary>A metric column of the runs table: last and best value, the best's step, and how many points.</summary>
public sealed record MetricCell(double Last, double Best, long BestStep, long Count);

/// <summary>A run's labels after PATCH /api/runs/{id}.</summary>
public sealed record RunLabels(long Id, IReadOnlyList<string> Tags, string Notes);

/// <summary>POST /api/runs/{id}/resume: the run and the number of the attempt that was queued.</summary>
public sealed record AttemptStarted(long Id, int Attempt);
