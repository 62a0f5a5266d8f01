namespace Gateway.Feedback.Store;

/// <summary>The tracker's peer lists in one process.</summary>
public sealed class InMemoryPeerStore(TimeProvider time, TimeSpan peerTtl, Random random) : IPeerStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Torrent> _torrents = new(StringComparer.Ordinal);

    public ValueTask AnnounceAsync(string infoHash, SwarmPeer peer, bool completedNow, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(infoHash);
        ArgumentException.ThrowIfNullOrEmpty(peer.PeerId);
        lock (_gate)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent))
            {
                _torrents[infoHash] = torrent = new Torrent();
            }

            torrent.Peers[peer.PeerId] = (peer, time.GetUtcNow() + peerTtl);
            torrent.Downloaded += completedNow ? 1 : 0;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string infoHash, string peerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_torrents.TryGetValue(infoHash, out var torrent))
            {
                torrent.Peers.Remove(peerId);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<SwarmPeer>> ListAsync(string infoHash, int numWant, string? requesterPeerId, bool leechersOnly, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent) || numWant <= 0)
            {
                return ValueTask.FromResult<IReadOnlyList<SwarmPeer>>([]);
            }

            Purge(torrent);
            var candidates = torrent.Peers.Values
                .Select(p => p.Peer)
                .Where(p => p.PeerId != requesterPeerId && !(leechersOnly && p.Complete))
                .ToArray();
            random.Shuffle(candidates);
            return ValueTask.FromResult<IReadOnlyList<SwarmPeer>>(candidates.Length <= numWant ? candidates : candidates[..numWant]);
        }
    }

    public ValueTask<ScrapeCounts> ScrapeAsync(string infoHash, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent))
            {
                return ValueTask.FromResult(default(ScrapeCounts));
            }

            Purge(torrent);
            var complete = torrent.Peers.Values.Count(p => p.Peer.Complete);
            return ValueTask.FromResult(new ScrapeCounts(complete, torrent.Peers.Count - complete, torrent.Downloaded));
        }
    }

    private void Purge(Torrent torrent)
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in torrent.Peers.ToArray())
        {
            if (entry.ExpiresAt <= now)
            {
                torrent.Peers.Remove(id);
            }
        }
    }

    private sealed class Torrent
    {
        public Dictionary<string, (SwarmPeer Peer, DateTimeOffset ExpiresAt)> Peers { get; } = new(StringComparer.Ordinal);

        public long Downloaded { get; set; }
    }
}
