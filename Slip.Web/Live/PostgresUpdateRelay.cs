using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Npgsql;

namespace Slip.Web.Live;

/// <summary>
/// Carries run updates between Slip processes that share one PostgreSQL database (a dashboard host and worker hosts):
/// every update published here is sent with NOTIFY on one channel, and every update another process sends arrives by
/// LISTEN and is delivered to this process's pages. So a chart on the dashboard moves within about a second of a
/// metric being logged on any worker. The listener reconnects after a database restart.
/// </summary>
public sealed class PostgresUpdateRelay : BackgroundService
{
    public const string Channel = "slip_updates";

    /// <summary>PostgreSQL's NOTIFY payload limit is 8,000 bytes; updates with many metric samples are split below it.</summary>
    private const int MaxPayload = 7_500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly string origin = Guid.NewGuid().ToString("N");
    private readonly Channel<RunUpdate> outbox = System.Threading.Channels.Channel.CreateUnbounded<RunUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NpgsqlDataSource dataSource;
    private readonly RunEventHub hub;
    private readonly ILogger<PostgresUpdateRelay> logger;

    public PostgresUpdateRelay(string connectionString, RunEventHub hub, ILogger<PostgresUpdateRelay> logger)
    {
        dataSource = NpgsqlDataSource.Create(connectionString);
        this.hub = hub;
        this.logger = logger;
        hub.Outbound = update => outbox.Writer.TryWrite(update);
    }

    /// <summary>Set once LISTEN is active, so tests (and start-up) can wait for it.</summary>
    public TaskCompletionSource Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(ListenAsync(stoppingToken), SendAsync(stoppingToken));

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                connection.Notification += (_, e) => Receive(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stop);
                }

                Listening.TrySetResult();
                while (!stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("Live updates from other Slip processes paused ({Reason}); reconnecting.", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task SendAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var update in outbox.Reader.ReadAllAsync(stop))
            {
                foreach (var payload in Payloads(update))
                {
                    try
                    {
                        await using var notify = dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
                        notify.Parameters.AddWithValue("channel", Channel);
                        notify.Parameters.AddWithValue("payload", payload);
                        await notify.ExecuteNonQueryAsync(stop);
                    }
                    catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
                    {
                        // Pages on other hosts miss this update (they re-read on their next load); this host's pages had it.
                        logger.LogWarning("A live update for run {RunId} could not be sent to other Slip processes: {Reason}", update.RunId, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>The update as NOTIFY payloads under the size limit: split by metric samples when it has many.</summary>
    private IEnumerable<string> Payloads(RunUpdate update)
    {
        var whole = Serialize(update);
        if (Encoding.UTF8.GetByteCount(whole) <= MaxPayload || update.Metrics is not { Count: > 1 } samples)
        {
            yield return whole;
            yield break;
        }

        foreach (var part in samples.Chunk(Math.Max(1, samples.Count / 2)))
        {
            foreach (var payload in Payloads(update with { Metrics = part }))
            {
                yield return payload;
            }
        }
    }

    private string Serialize(RunUpdate update) => JsonSerializer.Serialize(new Envelope(origin, update), Json);

    private void Receive(string payload)
    {
        try
        {
            if (JsonSerializer.Deserialize<Envelope>(payload, Json) is { } envelope && envelope.Origin != origin)
            {
                hub.PublishLocal(envelope.Update);
            }
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Ignored a malformed live update: {Reason}", ex.Message);
        }
    }

    public override void Dispose()
    {
        hub.Outbound = null;
        dataSource.Dispose();
        base.Dispose();
    }

    private sealed record Envelope(string Origin, RunUpdate Update);
}
