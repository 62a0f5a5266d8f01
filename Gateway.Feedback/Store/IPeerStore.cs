namespace Gateway.Feedback.Store;

/// <summary>A BitTorrent peer in one torrent's swarm, as the tracker last heard it.</summary>
/// <param name="PeerId">The peer id from the announce, as 40 lowercase hex digits.</param>
/// <param name="Address">The IP address to give other peers (IPv4 or IPv6 text).</param>
/// <param name="Port">The peer's listening port.</param>
/// <param name="Complete">A seeder (left=0) rather than a leecher.</param>
public readonly record struct SwarmPeer(string PeerId, string Address, int Port, bool Complete);

/// <summary>A torrent's scrape numbers (BEP 48): seeders, leechers, completed downloads.</summary>
public readonly record struct ScrapeCounts(int Complete, int Incomplete, long Downloaded);

/// <summary>
/// The tracker's per-torrent peer lists: seeders and leechers with when each expires. The tracker announces
/// into it and answers from it; in Redis several trackers share one swarm. Expired peers are dropped by the
/// store itself (on every touch of the torrent, and by key expiry when the whole torrent goes quiet).
/// </summary>
public interface IPeerStore
{
    /// <summary>Adds or refreshes the peer; <paramref name="completedNow"/> counts a download (event=completed).</summary>
    ValueTask AnnounceAsync(string infoHash, SwarmPeer peer, bool completedNow, CancellationToken cancellationToken);

    /// <summary>Drops the peer (event=stopped).</summary>
    ValueTask RemoveAsync(string infoHash, string peerId, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="numWant"/> live peers chosen at random, never <paramref name="requesterPeerId"/>;
    /// only leechers when <paramref name="leechersOnly"/> (a seeder has nothing to get from seeders).
    /// </summary>
    ValueTask<IReadOnlyList<SwarmPeer>> ListAsync(string infoHash, int numWant, string? requesterPeerId, bool leechersOnly, CancellationToken cancellationToken);

    /// <summary>The torrent's live seeders and leechers, and completed downloads so far.</summary>
    ValueTask<ScrapeCounts> ScrapeAsync(string infoHash, CancellationToken cancellationToken);
}
