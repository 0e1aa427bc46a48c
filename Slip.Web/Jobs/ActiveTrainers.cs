using System.Collections.Concurrent;

namespace Slip.Web.Jobs;

/// <summary>The trainer processes this host is running: process ids by run id (for diagnostics and tests).</summary>
public sealed class ActiveTrainers
{
    private readonly ConcurrentDictionary<long, int> processes = new();

    public IDisposable Add(long runId, int processId)
    {
        processes[runId] = processId;
        return new Removal(() => processes.TryRemove(runId, out _));
    }

    public int? ProcessIdOf(long runId) => processes.TryGetValue(runId, out var pid) ? pid : null;

    private sealed class Removal(Action remove) : IDisposable
    {
        private Action? remove = remove;

        public void Dispose() => Interlocked.Exchange(ref remove, null)?.Invoke();
    }
}
