using Gateway.Feedback.Torrents;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Feedback.Store;

/// <summary>
/// Keeps the tracker answering while Redis is down. Calls go to Redis (through the <c>swarm-store</c> pipeline,
/// whose circuit breaker makes them fail fast during an outage); when one fails, the tracker switches to a
/// local in-memory store, answering from the peers that announced since, and buffers each peer's latest
/// announce or removal. Every <c>Store:RetryInterval</c> the buffer is written through (the same
/// <see cref="RetryLoop"/> as the swarm store's); once it is empty, the tracker is back on Redis and the local
/// store is dropped. Announces are idempotent, so a write that reached Redis before failing is harmless to repeat.
/// </summary>
public sealed partial class ResilientPeerStore : IPeerStore, IAsyncDisposable
{
    private readonly RedisPeerStore _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<ResilientPeerStore> _logger;
    private readonly Dictionary<(InfoHash Swarm, PeerId Peer), PendingPeerWrite> _pending = [];
    private readonly RetryLoop _flusher;
    private InMemoryPeerStore _local;
    private volatile bool _degraded;

    public ResilientPeerStore(RedisPeerStore redis, IOptions<StoreOptions> options, TimeProvider time, ILogger<ResilientPeerStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _time = time;
        _logger = logger;
        _local = new InMemoryPeerStore(time);
        _flusher = new RetryLoop(options.Value.RetryInterval, time, FlushPassAsync, Recovered);
    }

    /// <summary>Announces and removals waiting for Redis.</summary>
    public int PendingWrites
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    public async ValueTask<AnnounceOutcome> AnnounceAsync(InfoHash swarm, SwarmPeer peer, DateTimeOffset expiresAt, bool completed, Memory<SwarmPeer> peers, CancellationToken cancellationToken)
    {
        if (!_degraded)
        {
            try
            {
                return await _redis.AnnounceAsync(swarm, peer, expiresAt, completed, peers, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsOutage(ex, cancellationToken))
            {
                Degrade(ex);
            }
        }

        var outcome = await _local.AnnounceAsync(swarm, peer, expiresAt, completed, peers, cancellationToken).ConfigureAwait(false);
        Buffer(swarm, peer.Id, previous => new PendingPeerWrite(peer, expiresAt, completed || previous?.Completed == true));
        return outcome;
    }

    public async ValueTask<SwarmPeer?> RemoveAsync(InfoHash swarm, PeerId peer, bool completed, CancellationToken cancellationToken)
    {
        if (!_degraded)
        {
            try
            {
                return await _redis.RemoveAsync(swarm, peer, completed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsOutage(ex, cancellationToken))
            {
                Degrade(ex);
            }
        }

        var removed = await _local.RemoveAsync(swarm, peer, completed, cancellationToken).ConfigureAwait(false);
        Buffer(swarm, peer, _ => new PendingPeerWrite(null, default, completed));
        return removed;
    }

    public async ValueTask<SwarmCounts> ScrapeAsync(InfoHash swarm, CancellationToken cancellationToken)
    {
        if (!_degraded)
        {
            try
            {
                return await _redis.ScrapeAsync(swarm, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsOutage(ex, cancellationToken))
            {
                Degrade(ex);
            }
        }

        return await _local.ScrapeAsync(swarm, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<ExpiredPeer>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // While degraded the local store expires what announced locally; Redis's own sweep catches up afterwards.
        var local = _degraded ? await _local.ExpireAsync(now, cancellationToken).ConfigureAwait(false) : [];
        try
        {
            var shared = await _redis.ExpireAsync(now, cancellationToken).ConfigureAwait(false);
            return local.Count == 0 ? shared : [.. local, .. shared];
        }
        catch (Exception ex) when (IsOutage(ex, cancellationToken))
        {
            return local;
        }
    }

    public ValueTask DisposeAsync() => _flusher.DisposeAsync();

    private static bool IsOutage(Exception exception, CancellationToken cancellationToken) =>
        (SwarmStoreResilience.IsStoreFailure(exception) || exception is OperationCanceledException) && !cancellationToken.IsCancellationRequested;

    private void Degrade(Exception exception)
    {
        if (!_degraded)
        {
            _degraded = true;
            LogDegraded(_logger, exception.Message);
        }
    }

    private void Buffer(InfoHash swarm, PeerId peer, Func<PendingPeerWrite?, PendingPeerWrite> merge)
    {
        lock (_pending)
        {
            _pending[(swarm, peer)] = merge(_pending.GetValueOrDefault((swarm, peer)));
        }

        _flusher.Start();
    }

    /// <summary>Writes the buffered announces and removals through until Redis fails again.</summary>
    private async Task FlushPassAsync(CancellationToken cancellationToken)
    {
        KeyValuePair<(InfoHash Swarm, PeerId Peer), PendingPeerWrite>[] batch;
        lock (_pending)
        {
            batch = [.. _pending];
        }

        var now = _time.GetUtcNow();
        foreach (var ((swarm, peer), write) in batch)
        {
            try
            {
                if (write.Peer is { } announced)
                {
                    // A peer whose lifetime ran out while Redis was down is not worth writing.
                    if (write.ExpiresAt >= now)
                    {
                        await _redis.AnnounceAsync(swarm, announced, write.ExpiresAt, write.Completed, Memory<SwarmPeer>.Empty, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    await _redis.RemoveAsync(swarm, peer, write.Completed, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (IsOutage(ex, cancellationToken))
            {
                return;
            }
            catch (RedisException ex)
            {
                // Not an outage: Redis refused this write and would refuse it again.
                LogPendingDropped(_logger, swarm, ex.Message);
            }

            lock (_pending)
            {
                // A newer write for the same peer arrived meanwhile: it stays for the next pass.
                if (_pending.TryGetValue((swarm, peer), out var current) && ReferenceEquals(current, write))
                {
                    _pending.Remove((swarm, peer));
                }
            }
        }
    }

    // Runs under the retry loop's lock, after a pass: with nothing left to write, Redis is complete again.
    private bool Recovered()
    {
        lock (_pending)
        {
            if (_pending.Count > 0)
            {
                return false;
            }

            // Dropped without reporting expiries: every peer it held is in Redis now, which expires them itself.
            _local = new InMemoryPeerStore(_time);
            _degraded = false;
        }

        LogRecovered(_logger);
        return true;
    }

    /// <summary>A peer's latest change while Redis was down: an announce (<see cref="Peer"/> set) or a removal.</summary>
    private sealed record PendingPeerWrite(SwarmPeer? Peer, DateTimeOffset ExpiresAt, bool Completed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not take a tracker call ({Reason}); answering from local swarms and buffering announces until it is back")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis took the buffered announces; the tracker answers from Redis again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis refused a buffered announce for torrent {InfoHash} ({Reason}); dropped it")]
    private static partial void LogPendingDropped(ILogger logger, InfoHash infoHash, string reason);
}
