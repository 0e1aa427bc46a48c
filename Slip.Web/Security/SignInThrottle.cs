namespace Slip.Web.Security;

/// <summary>
/// Slows password guessing on the sign-in form: 5 wrong passwords for one account from one client address within
/// 15 minutes stop that account's sign-in from that address until the oldest of them is 15 minutes old, and 20 from
/// one address stop every sign-in from it likewise. Locking per address means a stranger cannot lock a user out from
/// elsewhere. Kept in memory per host (decision 0012): a restart forgets it.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public const int PerAccount = 5;
    public const int PerClient = 20;
    private const int MaxTracked = 100_000;   // keys kept at most: a flood of names cannot grow memory without bound

    private readonly Lock gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> failures = [];

    /// <summary>How long this client must wait before trying this account again, or null when it may try now.</summary>
    public TimeSpan? RetryAfter(string account, string? client)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            var wait = new[] { Wait(AccountKey(account, client), PerAccount, now), Wait(ClientKey(client), PerClient, now) }.Max();
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    public void Failed(string account, string? client)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            if (failures.Count >= MaxTracked)
            {
                foreach (var key in failures.Keys.ToList())
                {
                    Prune(key, now);
                }
            }

            foreach (var key in new[] { AccountKey(account, client), ClientKey(client) })
            {
                if (failures.Count < MaxTracked || failures.ContainsKey(key))
                {
                    (failures.TryGetValue(key, out var times) ? times : failures[key] = new()).Enqueue(now);
                }
            }
        }
    }

    /// <summary>A right password clears that account's failures from that client (not the client's own count).</summary>
    public void Succeeded(string account, string? client)
    {
        lock (gate)
        {
            failures.Remove(AccountKey(account, client));
        }
    }

    /// <summary>Clears an account's failures from every address (its password was just set).</summary>
    public void Forget(string account)
    {
        var prefix = AccountKey(account, null);
        lock (gate)
        {
            foreach (var key in failures.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                failures.Remove(key);
            }
        }
    }

    private TimeSpan Wait(string key, int limit, DateTimeOffset now)
    {
        var times = Prune(key, now);
        return times is null || times.Count < limit ? TimeSpan.Zero : times.ElementAt(times.Count - limit) + Window - now;
    }

    private Queue<DateTimeOffset>? Prune(string key, DateTimeOffset now)
    {
        if (!failures.TryGetValue(key, out var times))
        {
            return null;
        }

        while (times.Count > 0 && now - times.Peek() >= Window)
        {
            times.Dequeue();
        }

        if (times.Count == 0)
        {
            failures.Remove(key);
            return null;
        }

        return times;
    }

    private static string AccountKey(string account, string? client) => $"account:{UserStore.NormalizeName(account)}@{client}";

    private static string ClientKey(string? client) => $"client:{client}";
}
