using Slip.Data;

namespace Slip.Web.Live;

/// <summary>One metric value as it arrives from a trainer.</summary>
public sealed record MetricSample(string Name, long Step, double Epoch, double Value);

/// <summary>Something that changed on a run: status, progress, new metric points, a new checkpoint or one of its evaluations, its metrics rewound for a resume, or its deletion.</summary>
public sealed record RunUpdate(
    long RunId,
    RunStatus? Status = null,
    long? Step = null,
    long? TotalSteps = null,
    IReadOnlyList<MetricSample>? Metrics = null,
    bool CheckpointAdded = false,
    bool EvaluationChanged = false,
    string? Error = null,
    bool MetricsRewound = false,
    bool Deleted = false);

/// <summary>
/// Fan-out of run updates from the training jobs to the pages watching them. Handlers run on the publisher's thread
/// and must marshal to their own context (Blazor: InvokeAsync). With PostgreSQL, <see cref="Outbound"/> also carries
/// every update to the other Slip processes sharing the database, which deliver it here with <see cref="PublishLocal"/>.
/// </summary>
public sealed class RunEventHub(ILogger<RunEventHub>? logger = null)
{
    private readonly Lock gate = new();
    private readonly List<(long? RunId, Action<RunUpdate> Handler)> subscribers = [];

    /// <summary>Subscribes to one run's updates, or to every run's when <paramref name="runId"/> is null.</summary>
    public IDisposable Subscribe(long? runId, Action<RunUpdate> handler)
    {
        var entry = (runId, handler);
        lock (gate)
        {
            subscribers.Add(entry);
        }

        return new Subscription(() =>
        {
            lock (gate)
            {
                subscribers.Remove(entry);
            }
        });
    }

    /// <summary>Where updates published in this process also go (the PostgreSQL relay); null with the embedded store.</summary>
    public Action<RunUpdate>? Outbound { get; set; }

    /// <summary>Delivers an update to this process's subscribers and, through <see cref="Outbound"/>, to the other processes.</summary>
    public void Publish(RunUpdate update)
    {
        PublishLocal(update);
        Outbound?.Invoke(update);
    }

    /// <summary>Delivers an update to this process's subscribers only (one that arrived from another process).</summary>
    public void PublishLocal(RunUpdate update)
    {
        (long? RunId, Action<RunUpdate> Handler)[] targets;
        lock (gate)
        {
            targets = subscribers.Where(s => s.RunId is null || s.RunId == update.RunId).ToArray();
        }

        // One subscriber's fault (a page's handler) is its own: it neither reaches the publisher (a run's recorder)
        // nor keeps the update from the others.
        foreach (var (_, handler) in targets)
        {
            try
            {
                handler(update);
            }
            catch (Exception ex)
            {
                logger?.LogWarning(ex, "A subscriber to run {RunId}'s updates failed: {Reason}", update.RunId, ex.Message);
            }
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref dispose, null)?.Invoke();
    }
}
