using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Gateway.Core.Torrents;

namespace Gateway.State.Memory;

/// <summary>The peer store of a single tracker process: swarms in memory, each behind its own lock.</summary>
public sealed class InMemorySwarmPeerStore(TimeProvider time) : ISwarmPeerStore, ISwarmPeerStatistics
{
    private readonly ConcurrentDictionary<InfoHash, Swarm> _swarms = new();

    /// <summary>Swarms with at least one peer (for tests and metrics).</summary>
    public int SwarmCount => _swarms.Count;

    public ValueTask<AnnounceOutcome> AnnounceAsync(InfoHash swarm, SwarmPeer peer, DateTimeOffset expiresAt, bool completed, Memory<SwarmPeer> peers, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcTicks;
        while (true)
        {
            var entry = _swarms.GetOrAdd(swarm, static _ => new Swarm());
            lock (entry)
            {
                // A swarm emptied by expiry is removed from the map; announce again into its replacement.
                if (entry.Removed)
                {
                    continue;
                }

                var previous = entry.Upsert(peer, expiresAt.UtcTicks, completed, now);
                var written = entry.Sample(peer.Id, now, peers.Span);
                return ValueTask.FromResult(new AnnounceOutcome(previous, entry.Counts(now), written));
            }
        }
    }

    /// <summary>Counts every live peer: one pass over all swarms, each under its lock (for the metrics scrape, not per request).</summary>
    public SwarmPeerCount Count()
    {
        var now = time.GetUtcNow().UtcTicks;
        var total = new SwarmPeerCount();
        foreach (var (_, entry) in _swarms)
        {
            lock (entry)
            {
                var swarm = entry.CountLive(now);
                total = new SwarmPeerCount(
                    total.Swarms + (swarm.Seeders + swarm.Leechers > 0 ? 1 : 0),
                    total.Seeders + swarm.Seeders,
                    total.Leechers + swarm.Leechers,
                    total.KeyedSeeders + swarm.KeyedSeeders,
                    total.KeyedLeechers + swarm.KeyedLeechers);
            }
        }

        return total;
    }

    /// <summary>The swarms it holds (a snapshot of their hashes; for a write-behind store that refreshes them).</summary>
    public IReadOnlyList<InfoHash> SwarmHashes() => [.. _swarms.Keys];

    /// <summary>
    /// Folds in what another copy of the swarm knows (peers announced elsewhere, peers gone elsewhere), without
    /// counting completions twice: a peer is taken when it is newer than the one held, a gone peer is dropped, and
    /// the completed count becomes at least <paramref name="completed"/>. With <paramref name="whole"/> the peers are the
    /// other copy's every peer: a held peer it lacks is dropped too, unless <paramref name="keep"/> says this copy is
    /// newer for it. A swarm this store does not hold is left alone.
    /// </summary>
    public void Merge(InfoHash swarm, ReadOnlySpan<MergedPeer> peers, int completed, bool whole, Func<PeerId, bool> keep)
    {
        if (!_swarms.TryGetValue(swarm, out var entry))
        {
            return;
        }

        lock (entry)
        {
            if (entry.Removed)
            {
                return;
            }

            foreach (var merged in peers)
            {
                if (merged.Peer is { } peer)
                {
                    entry.Adopt(peer, merged.ExpiresAt.UtcTicks);
                }
                else
                {
                    entry.Forget(merged.Id);
                }
            }

            if (whole)
            {
                var listed = new HashSet<PeerId>(peers.Length);
                foreach (var merged in peers)
                {
                    listed.Add(merged.Id);
                }

                entry.Retain(id => listed.Contains(id) || keep(id));
            }

            entry.RaiseCompleted(completed);
        }
    }

    public ValueTask<SwarmPeer?> RemoveAsync(InfoHash swarm, PeerId peer, bool completed, CancellationToken cancellationToken)
    {
        if (!_swarms.TryGetValue(swarm, out var entry))
        {
            return ValueTask.FromResult<SwarmPeer?>(null);
        }

        lock (entry)
        {
            return ValueTask.FromResult(entry.Remove(peer, completed));
        }
    }

    public ValueTask<SwarmCounts> ScrapeAsync(InfoHash swarm, CancellationToken cancellationToken)
    {
        if (!_swarms.TryGetValue(swarm, out var entry))
        {
            return ValueTask.FromResult(default(SwarmCounts));
        }

        var now = time.GetUtcNow().UtcTicks;
        lock (entry)
        {
            return ValueTask.FromResult(entry.Counts(now));
        }
    }

    public ValueTask<IReadOnlyList<ExpiredPeer>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var keyed = new List<ExpiredPeer>();
        foreach (var (hash, entry) in _swarms)
        {
            lock (entry)
            {
                entry.Expire(now.UtcTicks, hash, keyed);
                if (entry.IsEmpty)
                {
                    // Keep the completed count of a swarm that only went quiet? No: a swarm without peers costs
                    // memory for every hash ever announced; its count restarts when peers come back.
                    entry.Removed = true;
                    _swarms.TryRemove(new KeyValuePair<InfoHash, Swarm>(hash, entry));
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<ExpiredPeer>>(keyed);
    }

    private sealed class Swarm
    {
        // Peers in a list for fair sampling by a rotating cursor, with an index for O(1) lookup and removal.
        private readonly List<Entry> _peers = [];
        private readonly Dictionary<PeerId, int> _index = [];
        private int _seeders;
        private int _completed;
        private int _cursor;

        // A lower bound of every peer's expiry: while it lies ahead, no entry is stale and counts need no scan.
        private long _earliestExpiry = long.MaxValue;

        public bool Removed { get; set; }

        public bool IsEmpty => _peers.Count == 0;

        public PreviousState Upsert(SwarmPeer peer, long expiresAt, bool completed, long now)
        {
            // One hash lookup for both cases: most announces in a big swarm are a new peer or a refresh.
            PreviousState previous;
            ref var at = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, peer.Id, out var exists);
            if (exists)
            {
                ref var old = ref CollectionsMarshal.AsSpan(_peers)[at];
                previous = old.ExpiresAt < now ? PreviousState.Absent : old.Peer.IsSeeder ? PreviousState.Seeder : PreviousState.Leecher;
                _seeders -= old.Peer.IsSeeder ? 1 : 0;
                old = new Entry(peer, expiresAt);
            }
            else
            {
                previous = PreviousState.Absent;
                at = _peers.Count;
                _peers.Add(new Entry(peer, expiresAt));
            }

            _seeders += peer.IsSeeder ? 1 : 0;
            _earliestExpiry = Math.Min(_earliestExpiry, expiresAt);
            if ((peer.IsSeeder && previous == PreviousState.Leecher) || (completed && previous != PreviousState.Seeder))
            {
                _completed++;
            }

            return previous;
        }

        public void Adopt(SwarmPeer peer, long expiresAt)
        {
            if (_index.TryGetValue(peer.Id, out var at))
            {
                ref var old = ref CollectionsMarshal.AsSpan(_peers)[at];
                if (old.ExpiresAt >= expiresAt)
                {
                    return;
                }

                _seeders += (peer.IsSeeder ? 1 : 0) - (old.Peer.IsSeeder ? 1 : 0);
                old = new Entry(peer, expiresAt);
            }
            else
            {
                _index[peer.Id] = _peers.Count;
                _peers.Add(new Entry(peer, expiresAt));
                _seeders += peer.IsSeeder ? 1 : 0;
            }

            _earliestExpiry = Math.Min(_earliestExpiry, expiresAt);
        }

        public void Forget(PeerId peer)
        {
            if (_index.TryGetValue(peer, out var at))
            {
                RemoveAt(at);
            }
        }

        public void Retain(Func<PeerId, bool> kept)
        {
            for (var i = _peers.Count - 1; i >= 0; i--)
            {
                if (!kept(_peers[i].Peer.Id))
                {
                    RemoveAt(i);
                }
            }
        }

        public void RaiseCompleted(int completed) => _completed = Math.Max(_completed, completed);

        public int Sample(PeerId requester, long now, Span<SwarmPeer> destination)
        {
            var count = _peers.Count;
            var written = 0;
            if (count == 0 || destination.IsEmpty)
            {
                return 0;
            }

            var start = _cursor % count;
            var peers = CollectionsMarshal.AsSpan(_peers);
            written = Take(peers[start..], requester, now, destination);
            written += Take(peers[..start], requester, now, destination[written..]);

            // The next announce starts where this one stopped, so every peer gets its turn in large swarms.
            _cursor = (start + written + 1) % count;
            return written;
        }

        private static int Take(ReadOnlySpan<Entry> entries, PeerId requester, long now, Span<SwarmPeer> destination)
        {
            var written = 0;
            for (var i = 0; i < entries.Length && written < destination.Length; i++)
            {
                ref readonly var entry = ref entries[i];
                if (entry.ExpiresAt >= now && entry.Peer.Id != requester)
                {
                    destination[written++] = entry.Peer;
                }
            }

            return written;
        }

        public SwarmCounts Counts(long now)
        {
            // Expired-but-not-yet-swept peers are not counted; only a swarm that may hold one pays for the scan.
            var stale = 0;
            var staleSeeders = 0;
            if (_earliestExpiry < now)
            {
                foreach (var entry in _peers)
                {
                    if (entry.ExpiresAt < now)
                    {
                        stale++;
                        staleSeeders += entry.Peer.IsSeeder ? 1 : 0;
                    }
                }
            }

            return new SwarmCounts(_seeders - staleSeeders, _peers.Count - _seeders - (stale - staleSeeders), _completed);
        }

        public SwarmPeerCount CountLive(long now)
        {
            int seeders = 0, leechers = 0, keyedSeeders = 0, keyedLeechers = 0;
            foreach (var entry in _peers)
            {
                if (entry.ExpiresAt < now)
                {
                    continue;
                }

                var keyed = entry.Peer.VolunteerId is not null ? 1 : 0;
                if (entry.Peer.IsSeeder)
                {
                    seeders++;
                    keyedSeeders += keyed;
                }
                else
                {
                    leechers++;
                    keyedLeechers += keyed;
                }
            }

            return new SwarmPeerCount(1, seeders, leechers, keyedSeeders, keyedLeechers);
        }

        public SwarmPeer? Remove(PeerId id, bool completed)
        {
            if (!_index.TryGetValue(id, out var at))
            {
                return null;
            }

            var removed = _peers[at].Peer;
            if (completed && !removed.IsSeeder)
            {
                _completed++;
            }

            RemoveAt(at);
            return removed;
        }

        public void Expire(long now, InfoHash hash, List<ExpiredPeer> keyed)
        {
            for (var i = _peers.Count - 1; i >= 0; i--)
            {
                var entry = _peers[i];
                if (entry.ExpiresAt < now)
                {
                    if (entry.Peer.VolunteerId is not null)
                    {
                        keyed.Add(new ExpiredPeer(hash, entry.Peer));
                    }

                    RemoveAt(i);
                }
            }

            _earliestExpiry = long.MaxValue;
            foreach (var entry in _peers)
            {
                _earliestExpiry = Math.Min(_earliestExpiry, entry.ExpiresAt);
            }
        }

        private void RemoveAt(int at)
        {
            var removed = _peers[at];
            _seeders -= removed.Peer.IsSeeder ? 1 : 0;
            _index.Remove(removed.Peer.Id);
            var last = _peers.Count - 1;
            if (at != last)
            {
                _peers[at] = _peers[last];
                _index[_peers[at].Peer.Id] = at;
            }

            _peers.RemoveAt(last);
        }

        private readonly record struct Entry(SwarmPeer Peer, long ExpiresAt);
    }
}
