using System.Collections.Concurrent;
using Slip.Data;

namespace Slip.Web.Workers;

/// <summary>
/// The trainer CLI's processes this host is running, training runs or evaluating checkpoints: process ids by run id
/// or evaluation id (for the lease monitor, diagnostics and tests).
/// </summary>
public sealed class ActiveTrainers
{
    private readonly ConcurrentDictionary<(Type Kind, long Id), int> processes = new();

    /// <summary>Records the process working on row <paramref name="id"/> of <typeparamref name="TRow"/> until the result is disposed.</summary>
    public IDisposable Add<TRow>(long id, int processId) where TRow : ILeasedWork
    {
        var key = (typeof(TRow), id);
        processes[key] = processId;
        return new Removal(() => processes.TryRemove(key, out _));
    }

    /// <summary>The process training run <paramref name="runId"/>, if this host runs one.</summary>
    public int? ProcessIdOf(long runId) => ProcessIdOf<Run>(runId);

    public int? ProcessIdOf<TRow>(long id) where TRow : ILeasedWork =>
        processes.TryGetValue((typeof(TRow), id), out var pid) ? pid : null;

    private sealed class Removal(Action remove) : IDisposable
    {
        private Action? remove = remove;

        public void Dispose() => Interlocked.Exchange(ref remove, null)?.Invoke();
    }
}
