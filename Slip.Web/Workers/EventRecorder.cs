using System.Threading.Channels;
using Slip.Training;
using Slip.Web.Hosting;

namespace Slip.Web.Workers;

/// <summary>
/// Records what a child process reports, in order, off the loop that reads its output: when the store is unreachable
/// (PostgreSQL restarting) the events wait in memory and are written with backoff once it is back, while the child
/// keeps working. Consecutive events are stored as one batch. Once a write finds that this worker no longer holds the
/// lease, nothing more is stored (the heartbeat is stopping the child); once a write fails for any other reason, the
/// same, and <see cref="Fault"/> says why. At most <see cref="Capacity"/> events wait in memory (backpressure on the
/// child beyond that). <see cref="Runs.RunRecorder"/> stores a run's
/// points and checkpoints, <see cref="Evaluations.EvaluationRecorder"/> an evaluation's progress.
/// </summary>
public abstract class EventRecorder
{
    private const int MaxBatchEvents = 2_000;

    /// <summary>
    /// Events held in memory while the store is slow or away: beyond this, <see cref="PostAsync"/> waits, the reader
    /// stops reading the child's output, and the child blocks on its next line until the store takes the backlog.
    /// </summary>
    public const int Capacity = 20_000;

    // Each event with when it arrived (Stopwatch ticks), for the live-push latency.
    private readonly Channel<(TrainerEvent Event, long Arrived)> events = Channel.CreateBounded<(TrainerEvent, long)>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource faulted = new();
    private readonly Lock gate = new();
    private readonly string name;
    private Task? writer;
    private long pending;

    /// <param name="logger">Where outages and refusals are logged.</param>
    /// <param name="name">"Run 12", "Evaluation 7": how log lines name what is recorded.</param>
    /// <param name="giveUp">Stops retrying (the host is shutting down): what is still in memory then was never acknowledged.</param>
    /// <param name="leaseOwner">The worker whose lease fences the writes; null for none.</param>
    /// <param name="metrics">Where points stored and the time it took are counted (/metrics); none in tests.</param>
    protected EventRecorder(ILogger logger, string name, CancellationToken giveUp, string? leaseOwner, SlipMetrics? metrics = null)
    {
        Metrics = metrics;
        Logger = logger;
        GiveUp = giveUp;
        this.name = name;
        LeaseOwner = leaseOwner;
    }

    protected ILogger Logger { get; }

    protected SlipMetrics? Metrics { get; }

    /// <summary>The worker whose lease fences the writes; null for none.</summary>
    protected string? LeaseOwner { get; }

    protected CancellationToken GiveUp { get; }

    /// <summary>True once a batch was refused because another worker (or no one) holds the lease: nothing more is stored.</summary>
    public bool Fenced { get; private set; }

    /// <summary>Events accepted but not yet stored.</summary>
    public long Pending => Interlocked.Read(ref pending);

    /// <summary>
    /// Why storing failed for a reason other than the store's (an event the store refuses, a checkpoint file that
    /// vanished, a bug): nothing more is stored, and the work must end Failed with this reason; null while all is well.
    /// </summary>
    public Exception? Fault { get; private set; }

    /// <summary>Cancelled when <see cref="Fault"/> is set, so the supervisor stops the child at once.</summary>
    public CancellationToken Faulted => faulted.Token;

    /// <summary>Accepts an event, waiting while <see cref="Capacity"/> events are already waiting to be stored.</summary>
    public async ValueTask PostAsync(TrainerEvent e)
    {
        Interlocked.Increment(ref pending);
        _ = StartWriting();   // the writer task is awaited by CompleteAsync
        await events.Writer.WriteAsync((e, System.Diagnostics.Stopwatch.GetTimestamp()));
    }

    /// <summary>Waits until everything posted is stored (or the recorder gave up, or a fault stopped it: see <see cref="Fault"/>).</summary>
    public Task CompleteAsync()
    {
        events.Writer.TryComplete();
        return StartWriting();
    }

    /// <summary>Whether <paramref name="e"/> closes its batch (the events before it are stored first, then it alone).</summary>
    protected virtual bool EndsBatch(TrainerEvent e) => false;

    /// <summary>
    /// Stores one batch; store faults are retried with <see cref="RetryAsync"/>. Throws <see cref="LeaseLost"/>'s
    /// exception, having stored nothing of the batch, when the lease is someone else's.
    /// </summary>
    protected abstract Task StoreAsync(IReadOnlyList<TrainerEvent> batch);

    /// <summary>Tells pages about a batch once it is stored.</summary>
    protected abstract void Publish(IReadOnlyList<TrainerEvent> batch);

    /// <summary>Runs <paramref name="write"/> until the store takes it (or the host stops).</summary>
    protected Task RetryAsync(Func<Task> write, string what) => StoreRetry.RunAsync(write, Logger, what, GiveUp);

    /// <summary>The exception a write throws when the lease is no longer this worker's.</summary>
    protected static Exception LeaseLost() => new LeaseLostException();

    /// <summary>The writer starts with the first event, once the derived recorder is fully constructed.</summary>
    private Task StartWriting()
    {
        lock (gate)
        {
            return writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<TrainerEvent>();
        while (await events.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            var oldest = long.MaxValue;
            while (batch.Count < MaxBatchEvents && events.Reader.TryRead(out var posted))
            {
                var e = posted.Event;
                batch.Add(e);
                oldest = Math.Min(oldest, posted.Arrived);
                if (EndsBatch(e))
                {
                    break;
                }
            }

            if (Fenced || Fault is not null || GiveUp.IsCancellationRequested)
            {
                Interlocked.Add(ref pending, -batch.Count);
                continue;   // the row is someone else's now, or the work is failing: its events are dropped, as the child is being stopped
            }

            var storing = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await StoreAsync(batch);
            }
            catch (LeaseLostException)
            {
                Fenced = true;
                Logger.LogWarning("{Work}: the worker {Worker} no longer holds its lease; its latest {Count} events and any after them are not stored.", name, LeaseOwner, batch.Count);
                Interlocked.Add(ref pending, -batch.Count);
                continue;
            }
            catch (OperationCanceledException) when (GiveUp.IsCancellationRequested)
            {
                Logger.LogWarning("{Work}: gave up on an unreachable store (the host is stopping, or the lease is lost); {Count} events were not stored.", name, Pending);
                Interlocked.Add(ref pending, -batch.Count);
                continue;   // what is posted from now on is dropped, so the reader never waits on a full buffer
            }
            catch (Exception ex)
            {
                Logger.LogError(ex, "{Work}: storing its events failed ({Reason}); nothing more is stored and its process is stopped.", name, ex.Message);
                Fault = ex;
                Interlocked.Add(ref pending, -batch.Count);
                await faulted.CancelAsync();
                continue;
            }

            Metrics?.Ingested(batch.Where(e => e.Type == TrainerEvent.Metrics).Sum(e => e.Values?.Count ?? 0), System.Diagnostics.Stopwatch.GetElapsedTime(storing));
            Interlocked.Add(ref pending, -batch.Count);
            Publish(batch);
            Metrics?.Pushed(System.Diagnostics.Stopwatch.GetElapsedTime(oldest));
        }

        Completed();
    }

    /// <summary>Called once everything posted was stored or dropped, the child's output having ended.</summary>
    protected virtual void Completed()
    {
    }

    private sealed class LeaseLostException : Exception;
}
