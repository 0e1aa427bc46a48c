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

    private readonly Channel<TrainerEvent> events = Channel.CreateBounded<TrainerEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource faulted = new();
    private readonly Lock gate = new();
    private readonly string name;
    private Task? writer;
    private long pending;

    /// <param name="logger">Where outages and refusals are logged.</param>
    /// <param name="name">"Run 12", "Evaluation 7": how log lines name what is recorded.</param>
    /// <param name="giveUp">Stops retrying (the host is shutting down): what is still in memory then was never acknowledged.</param>
    /// <param name="leaseOwner">The worker whose lease fences the writes; null for none.</param>
    protected EventRecorder(ILogger logger, string name, CancellationToken giveUp, string? leaseOwner)
    {
        Logger = logger;
        GiveUp = giveUp;
        this.name = name;
        LeaseOwner = leaseOwner;
    }

    protected ILogger Logger { get; }

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
        await events.Writer.WriteAsync(e);
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
            while (batch.Count < MaxBatchEvents && events.Reader.TryRead(out var e))
            {
                batch.Add(e);
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

            Interlocked.Add(ref pending, -batch.Count);
            Publish(batch);
        }
    }

    private sealed class LeaseLostException : Exception;
}
