namespace Slip.Web.Hosting;

/// <summary>Where and how Slip runs (section "Slip" of appsettings.json; environment variables such as Slip__DataDirectory override it).</summary>
public sealed class SlipOptions
{
    public const string Section = "Slip";

    /// <summary>Root for the embedded database and run outputs (checkpoints). Empty means ~/.local/share/slip.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>The trainer CLI (Slip.Training.dll or its executable). Empty means the copy next to the web app.</summary>
    public string TrainerPath { get; set; } = "";

    /// <summary>Another copy of CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) for the clip-bpe tokenizer; empty: the one built into Slip.</summary>
    public string BpeVocabularyPath { get; set; } = "";

    /// <summary>
    /// Folders datasets may be read from (their real paths; links out of them are refused). Empty: runs can use only
    /// the built-in datasets.
    /// </summary>
    public List<string> DataRoots { get; set; } = [];

    /// <summary>CPU threads for each trainer process; 0 means all cores.</summary>
    public int TrainerThreads { get; set; }

    /// <summary>
    /// Preload jemalloc (Debian's libjemalloc2) into trainer processes: about half the resident memory of glibc's
    /// allocator, but a third slower per step on the development CPU (docs/benchmarks.md). Off by default.
    /// </summary>
    public bool PreloadJemalloc { get; set; }

    /// <summary>Seconds a trainer gets to stop after a cancel request before it is killed.</summary>
    public int CancelGraceSeconds { get; set; } = 5;

    /// <summary>Extra environment variables for trainer processes (for example CUDA_VISIBLE_DEVICES, or fault injection in tests).</summary>
    public Dictionary<string, string> TrainerEnvironment { get; set; } = [];

    public WorkerOptions Workers { get; set; } = new();

    /// <summary>
    /// "all" (the default): dashboard, API and workers in one process. "worker": a training host for a cluster that
    /// shares one PostgreSQL: its queue servers and /healthz only, no pages, API or sign-in.
    /// </summary>
    public string Role { get; set; } = "all";

    public bool IsWorkerOnly => string.Equals(Role, "worker", StringComparison.OrdinalIgnoreCase);

    public AuthOptions Auth { get; set; } = new();

    /// <summary>Request limits (section Slip:Limits).</summary>
    public RequestLimitOptions Limits { get; set; } = new();

    /// <summary>The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (section Slip:Proxy).</summary>
    public ProxyOptions Proxy { get; set; } = new();

    /// <summary>Who may scrape /metrics besides loopback (Slip:Metrics).</summary>
    public MetricsOptions Metrics { get; set; } = new();

    public string ResolvedDataDirectory => Path.GetFullPath(string.IsNullOrWhiteSpace(DataDirectory)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "slip")
        : DataDirectory);

    /// <summary>The folder that holds every run's outputs; only files under it are ever served.</summary>
    public string RunsDirectory => Path.Combine(ResolvedDataDirectory, "runs");

    /// <summary>Where a run's trainer writes its checkpoints and resume state.</summary>
    public string CheckpointDirectory(long runId) =>
        Path.Combine(RunsDirectory, runId.ToString(System.Globalization.CultureInfo.InvariantCulture), "checkpoints");
}

/// <summary>The training workers this host runs: one Hangfire server with one worker per device.</summary>
public sealed class WorkerOptions
{
    /// <summary>Whether this host trains at all; a dashboard-only host sets false.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Devices to serve, one training worker each ("cpu", "cuda:0", "cuda:1", ...).</summary>
    public List<string> Devices { get; set; } = [];

    public IReadOnlyList<string> EffectiveDevices => Devices.Count == 0 ? ["cpu"] : Devices;

    /// <summary>
    /// Seconds without a heartbeat from a run's worker before the run is marked failed (and, with
    /// <see cref="ResumeInterrupted"/>, resumed elsewhere). Workers beat four times per timeout.
    /// </summary>
    public int HeartbeatTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Resume runs interrupted by a worker that shut down, restarted or stopped beating, from their last saved state
    /// (a new attempt with the same run id). Off: they stay Failed with the reason until someone resumes them.
    /// </summary>
    public bool ResumeInterrupted { get; set; } = true;

    /// <summary>
    /// Each worker checks its device when the host starts (the trainer's <c>doctor</c>: libtorch loads, and a few Micro
    /// SLIP steps on the device give the CPU's losses); the Queue view shows the result. Training is not held back by a
    /// failed check: the result says what a run there would meet.
    /// </summary>
    public bool SelfCheck { get; set; } = true;

    public TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(Math.Max(2, HeartbeatTimeoutSeconds));

    public TimeSpan HeartbeatInterval => HeartbeatTimeout / 4;
}

/// <summary>The first admin, created at start-up when no user exists (section Slip:Auth).</summary>
public sealed class AuthOptions
{
    /// <summary>The first admin's name; with <see cref="AdminPassword"/> it replaces the one-time /setup page.</summary>
    public string AdminName { get; set; } = "";

    /// <summary>The first admin's password: a secret, so only from the environment (Slip__Auth__AdminPassword) or user secrets.</summary>
    public string AdminPassword { get; set; } = "";

    /// <summary>How often an open page checks that its user still exists with the same role (a deleted user is signed
    /// out, a changed role applies, within this many seconds).</summary>
    public int CircuitRevalidationSeconds { get; set; } = 60;
}

/// <summary>How many requests a minute ASP.NET Core's rate limiter lets through (section Slip:Limits); beyond, 429 with Retry-After.</summary>
public sealed class RequestLimitOptions
{
    /// <summary>API requests a minute per signed-in user (or per client address before signing in).</summary>
    public int ApiPerMinute { get; set; } = 1200;

    /// <summary>Sign-in and setup form posts a minute per client address (wrong passwords are also paused per account: SignInThrottle).</summary>
    public int SignInPerMinute { get; set; } = 30;
}

/// <summary>
/// The reverse proxies in front of the dashboard (section Slip:Proxy): only from these addresses or networks are the
/// forwarded client address and scheme believed, so throttles see the real client and cookies are Secure behind TLS.
/// Loopback is always trusted.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Proxy addresses, e.g. 10.0.0.2.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. 172.18.0.0/16 (a Docker network).</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>Slip:Metrics: /metrics answers loopback, and anyone sending this token as a bearer token.</summary>
public sealed class MetricsOptions
{
    /// <summary>A secret (environment or user secrets, never appsettings.json); empty: loopback only.</summary>
    public string ScrapeToken { get; set; } = "";
}
