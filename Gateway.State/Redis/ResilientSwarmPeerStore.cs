using Gateway.Core.Torrents;
using Gateway.State.Memory;
using Gateway.State.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State.Redis;

/// <summary>
/// The Redis-backed tracker's swarms: every announce is answered from a local in-memory copy of the swarm and
/// written to Redis behind, so an announce never waits for Redis (one Lua call per announce cost the tracker
/// several times opentracker's CPU). Each peer's latest announce or removal is buffered; every
/// <c>Store:TrackerFlushInterval</c> the buffer goes to Redis in batched, pipelined script calls, and every
/// <c>Store:TrackerRefreshInterval</c> the local copies of the swarms this tracker serves read what other
/// trackers wrote since (each swarm keeps a change log in Redis). While Redis is down the buffer just waits and
/// the tracker keeps answering; announces are idempotent, so a batch that reached Redis before failing is
/// harmless to repeat.
/// </summary>
/// <remarks>
/// The staleness this adds (docs/redis.md): a peer announced to another tracker is listed here within this
/// refresh interval plus the other's flush interval. Expiry of keyed peers stays Redis's: <see cref="ExpireAsync"/>
/// writes the buffer through first, then runs Redis's sweep, which reports each expired keyed peer exactly once
/// across trackers; the local copy drops its expired peers without reporting them (unless Redis is unreachable).
/// </remarks>
public sealed partial class ResilientSwarmPeerStore : ISwarmPeerStore, ISwarmPeerStatistics, IAsyncDisposable
{
    private readonly RedisSwarmPeerStore _redis;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeSpan _operationTimeout;
    private readonly ILogger<ResilientSwarmPeerStore> _logger;
    private readonly InMemorySwarmPeerStore _local;
    private readonly Dictionary<(InfoHash Swarm, PeerId Peer), PeerWrite> _pending = [];

    // Per swarm, the change sequence read last from Redis; only touched under _sync.
    private readonly Dictionary<InfoHash, long> _readUpTo = [];
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly RetryLoop _loop;
    private long _lastRefresh;
    private volatile bool _degraded;

    public ResilientSwarmPeerStore(RedisSwarmPeerStore redis, IOptions<StoreOptions> options, TimeProvider time, ILogger<ResilientSwarmPeerStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _time = time;
        _logger = logger;
        _refreshInterval = options.Value.TrackerRefreshInterval;
        _operationTimeout = options.Value.OperationTimeout;
        _local = new InMemorySwarmPeerStore(time);
        _lastRefresh = time.GetTimestamp();

        // Runs while anything is buffered or any swarm is held (to keep refreshing it); restarted by the next announce.
        _loop = new RetryLoop(options.Value.TrackerFlushInterval, time, PassAsync, IsIdle);
    }

    /// <summary>Announces and removals not yet in Redis.</summary>
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

    /// <summary>The local copy's counts: the swarms this tracker serves, with other trackers' peers as of the last refresh.</summary>
    public SwarmPeerCount Count() => _local.Count();

    public ValueTask<AnnounceOutcome> AnnounceAsync(InfoHash swarm, SwarmPeer peer, DateTimeOffset expiresAt, bool completed, Memory<SwarmPeer> peers, CancellationToken cancellationToken)
    {
        // Buffered before the local copy changes: a refresh merging Redis's older view of this peer skips it.
        // A leecher that became a seeder within one flush looks new to Redis: the completion is carried over.
        Buffer(swarm, peer.Id, previous => new PeerWrite(
            swarm, peer.Id, peer, expiresAt, completed || previous?.Completed == true || (peer.IsSeeder && previous?.Peer is { IsSeeder: false })));
        return _local.AnnounceAsync(swarm, peer, expiresAt, completed, peers, cancellationToken);
    }

    public ValueTask<SwarmPeer?> RemoveAsync(InfoHash swarm, PeerId peer, bool completed, CancellationToken cancellationToken)
    {
        Buffer(swarm, peer, _ => new PeerWrite(swarm, peer, null, default, completed));
        return _local.RemoveAsync(swarm, peer, completed, cancellationToken);
    }

    public async ValueTask<SwarmCounts> ScrapeAsync(InfoHash swarm, CancellationToken cancellationToken)
    {
        var counts = await _local.ScrapeAsync(swarm, cancellationToken).ConfigureAwait(false);
        if (counts != default || _degraded)
        {
            return counts;
        }

        // A swarm nobody announced here: only Redis knows it (scrapes are rare next to announces).
        try
        {
            return await _redis.ScrapeAsync(swarm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsOutage(ex, cancellationToken))
        {
            Degrade(ex);
            return counts;
        }
    }

    public async ValueTask<IReadOnlyList<ExpiredPeer>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Redis's sweep reports only what reached Redis: write the buffer first.
        var written = await SyncAsync(refresh: false, cancellationToken).ConfigureAwait(false);
        var local = await _local.ExpireAsync(now, cancellationToken).ConfigureAwait(false);
        if (written)
        {
            try
            {
                return await _redis.ExpireAsync(now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsOutage(ex, cancellationToken))
            {
                Degrade(ex);
            }
        }

        // Redis is unreachable: the local copy reports what expired here, and those announces are not written
        // later (Redis would report them again). One written before the outage may still be reported twice.
        lock (_pending)
        {
            foreach (var gone in local)
            {
                if (_pending.TryGetValue((gone.Swarm, gone.Peer.Id), out var write) && write.Peer is not null)
                {
                    _pending.Remove((gone.Swarm, gone.Peer.Id));
                }
            }
        }

        return local;
    }

    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync().ConfigureAwait(false);

        // What was answered in the last flush interval: one last try, bounded, so a clean stop loses nothing.
        using var timeout = new CancellationTokenSource(_operationTimeout);
        try
        {
            await SyncAsync(refresh: false, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Gave up: lost with the process, as an unsent announce would be.
        }
        catch (ObjectDisposedException)
        {
            // The connection went first.
        }

        _sync.Dispose();
    }

    private static bool IsOutage(Exception exception, CancellationToken cancellationToken) =>
        (StoreResilience.IsStoreFailure(exception) || exception is OperationCanceledException) && !cancellationToken.IsCancellationRequested;

    private void Degrade(Exception exception)
    {
        if (!_degraded)
        {
            _degraded = true;
            LogDegraded(_logger, exception.Message);
        }
    }

    private void Buffer(InfoHash swarm, PeerId peer, Func<PeerWrite?, PeerWrite> merge)
    {
        lock (_pending)
        {
            _pending[(swarm, peer)] = merge(_pending.GetValueOrDefault((swarm, peer)));
        }

        _loop.Start();
    }

    // Runs under the loop's lock after each pass.
    private bool IsIdle()
    {
        lock (_pending)
        {
            return _pending.Count == 0 && _local.SwarmCount == 0;
        }
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        var refresh = _time.GetElapsedTime(_lastRefresh) >= _refreshInterval;
        await SyncAsync(refresh, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the buffer to Redis, then (with <paramref name="refresh"/>) reads other trackers' changes; false when Redis failed.</summary>
    private async Task<bool> SyncAsync(bool refresh, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await FlushAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            if (refresh)
            {
                _lastRefresh = _time.GetTimestamp();
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (IsOutage(ex, cancellationToken))
        {
            Degrade(ex);
            return false;
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        PeerWrite[] batch;
        lock (_pending)
        {
            batch = [.. _pending.Values];
        }

        if (batch.Length == 0)
        {
            return true;
        }

        try
        {
            await _redis.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException ex) when (!IsOutage(ex, cancellationToken))
        {
            // Not an outage: Redis refused these writes and would refuse them again.
            LogPendingDropped(_logger, batch.Length, ex.Message);
        }

        lock (_pending)
        {
            foreach (var write in batch)
            {
                // A newer write for the same peer arrived meanwhile: it stays for the next flush.
                if (_pending.TryGetValue((write.Swarm, write.Id), out var current) && ReferenceEquals(current, write))
                {
                    _pending.Remove((write.Swarm, write.Id));
                }
            }
        }

        if (_degraded)
        {
            _degraded = false;
            LogRecovered(_logger);
        }

        return true;
    }

    /// <summary>Folds into each local swarm what Redis got since this tracker last read it (its own writes included, which change nothing).</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var swarms = _local.SwarmHashes();
        var copies = await _redis.ReadSinceAsync([.. swarms.Select(s => (s, _readUpTo.GetValueOrDefault(s)))], cancellationToken).ConfigureAwait(false);
        foreach (var copy in copies)
        {
            // A whole read after an earlier one: Redis lost the swarm (a restart without persistence) or this copy
            // fell behind its log. The keyed peers are dropped here even when a flush just wrote them again, so that
            // each volunteer's next announce looks new and rewrites its holdings into the holdings store, which lost them too.
            var lost = copy.Whole && _readUpTo.GetValueOrDefault(copy.Swarm) > 0;
            _readUpTo[copy.Swarm] = copy.Sequence;
            lock (_pending)
            {
                // A whole read drops what Redis lacks (peers gone elsewhere); a peer with a buffered write is newer here.
                MergedPeer[] peers = [.. copy.Peers.Where(p => !_pending.ContainsKey((copy.Swarm, p.Id)) && !(lost && p.Peer?.VolunteerId is not null))];
                _local.Merge(copy.Swarm, peers, copy.Completed, copy.Whole, id => _pending.ContainsKey((copy.Swarm, id)));
            }
        }

        if (_readUpTo.Count > swarms.Count)
        {
            var held = swarms.ToHashSet();
            foreach (var gone in _readUpTo.Keys.Where(s => !held.Contains(s)).ToList())
            {
                _readUpTo.Remove(gone);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not take the tracker's writes ({Reason}); answering from local swarms and buffering announces until it is back")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis took the buffered announces again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis refused {Count} buffered announces ({Reason}); dropped them")]
    private static partial void LogPendingDropped(ILogger logger, int count, string reason);
}
