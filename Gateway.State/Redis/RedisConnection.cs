using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State.Redis;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/> (it multiplexes every caller over one socket per
/// server and reconnects by itself). It is opened without waiting for Redis: a gateway starts and serves
/// while Redis is down, and the connection comes up when Redis does.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ILogger<RedisConnection> _logger;

    // The endpoints known to be down: the client reports every failed reconnect attempt, the log wants one line per loss.
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.Ordinal);

    public RedisConnection(IOptions<StoreOptions> options, StoreHealth health, ILogger<RedisConnection> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        var settings = options.Value;
        var configuration = ConfigurationOptions.Parse(settings.Redis ?? throw new InvalidOperationException("Store:Redis is not set."));

        // Start even when Redis is down; keep trying in the background.
        configuration.AbortOnConnectFail = false;

        // The client's default backlog stays: a command issued while (re)connecting waits for the connection
        // instead of failing at once (a gateway's first calls race its first connect on a busy machine). The
        // caller still waits at most Store:OperationTimeout (the pipeline's timeout); a write it gave up on
        // may still run on reconnect, before the newer buffered state is written through, which is harmless.
        var timeout = (int)settings.OperationTimeout.TotalMilliseconds;
        configuration.ConnectTimeout = Math.Max(timeout, 1000);
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.ClientName ??= $"gateway-{Environment.ProcessId}";
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _multiplexer.ConnectionFailed += OnConnectionFailed;
        _multiplexer.ConnectionRestored += OnConnectionRestored;
        health.Kind = StoreKind.Redis;
        health.ReadConnectionFrom(() => _multiplexer.IsConnected);
        if (!_multiplexer.IsConnected)
        {
            LogNotConnectedAtStart(logger, settings.Redis);
        }
    }

    public IConnectionMultiplexer Multiplexer => _multiplexer;

    public bool IsConnected => _multiplexer.IsConnected;

    /// <summary>Raised when a connection to a Redis server fails: publications may be lost from then on, so readers resynchronize.</summary>
    public event EventHandler? ConnectionLost;

    public async ValueTask DisposeAsync()
    {
        _multiplexer.ConnectionFailed -= OnConnectionFailed;
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        await _multiplexer.DisposeAsync().ConfigureAwait(false);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_down.TryAdd(e.EndPoint?.ToString() ?? string.Empty, true))
        {
            LogConnectionFailed(_logger, e.EndPoint, e.FailureType);
        }

        ConnectionLost?.Invoke(this, EventArgs.Empty);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Not a reason to resynchronize: the failure before it already was, and the client also reports
        // a first connection to a newly discovered cluster node as "restored".
        if (_down.TryRemove(e.EndPoint?.ToString() ?? string.Empty, out _))
        {
            LogConnectionRestored(_logger, e.EndPoint);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {Redis} is not reachable yet; serving from memory and connecting in the background")]
    private static partial void LogNotConnectedAtStart(ILogger logger, string? redis);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to Redis {Endpoint} ({Failure}); reconnecting")]
    private static partial void LogConnectionFailed(ILogger logger, System.Net.EndPoint? endpoint, ConnectionFailureType failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to Redis {Endpoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, System.Net.EndPoint? endpoint);
}
