using Gateway.Core.Torrents;

namespace Gateway.State;

/// <summary>What the peer was before an announce.</summary>
public enum PreviousState
{
    /// <summary>Not in the swarm (new, or expired since).</summary>
    Absent,

    Leecher,

    Seeder,
}

/// <summary>The result of <see cref="ISwarmPeerStore.AnnounceAsync"/>.</summary>
/// <param name="Previous">The peer's state before this announce (lifecycle transitions are judged from it).</param>
/// <param name="Counts">The swarm's counts after it.</param>
/// <param name="PeersWritten">How many other peers were written to the caller's buffer.</param>
public readonly record struct AnnounceOutcome(PreviousState Previous, SwarmCounts Counts, int PeersWritten);

/// <summary>What another copy of a swarm says about one peer: announced until <see cref="ExpiresAt"/>, or gone (<see cref="Peer"/> null).</summary>
public readonly record struct MergedPeer(PeerId Id, SwarmPeer? Peer, DateTimeOffset ExpiresAt);

/// <summary>A keyed peer that stopped announcing and was dropped.</summary>
public readonly record struct ExpiredPeer(InfoHash Swarm, SwarmPeer Peer);

/// <summary>
/// Where the tracker keeps swarms: peers per info hash with an expiry. Small on purpose so that it can live in
/// memory (one tracker) or in Redis (several trackers); each call is one atomic step on one swarm.
/// </summary>
/// <remarks>
/// Contract (the tests in <c>Gateway.Tests/Tracker/SwarmPeerStoreContract</c> hold every implementation to it):
/// <list type="bullet">
/// <item>A peer is identified by (info hash, peer id); announcing again replaces its address, seeder flag,
/// volunteer and expiry.</item>
/// <item>A peer whose expiry has passed is not listed and not counted, even before <see cref="ExpireAsync"/> removes it.</item>
/// <item><c>Completed</c> counts each leecher→seeder transition, each announce with <c>completed: true</c>
/// from a peer that was not already a seeder, and each removal with <c>completed: true</c> of a leecher.</item>
/// <item>Listed peers never include the announcing peer itself, are at most the buffer's length, and are a
/// fair (random or rotating) sample when the swarm is larger.</item>
/// </list>
/// </remarks>
public interface ISwarmPeerStore
{
    /// <summary>
    /// Inserts or refreshes <paramref name="peer"/> in the swarm until <paramref name="expiresAt"/>, and writes up to
    /// <c>peers.Length</c> other peers of the swarm into <paramref name="peers"/>.
    /// </summary>
    ValueTask<AnnounceOutcome> AnnounceAsync(InfoHash swarm, SwarmPeer peer, DateTimeOffset expiresAt, bool completed, Memory<SwarmPeer> peers, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the peer (an announce with <c>event=stopped</c>); returns it, or null when it was not there. With
    /// <paramref name="completed"/> (it stopped with nothing left) a leecher's removal counts as a completion: aria2
    /// with <c>--seed-time=0</c> goes straight from downloading to <c>stopped</c>.
    /// </summary>
    ValueTask<SwarmPeer?> RemoveAsync(InfoHash swarm, PeerId peer, bool completed, CancellationToken cancellationToken);

    /// <summary>The swarm's counts; zeros for a swarm nobody announced to.</summary>
    ValueTask<SwarmCounts> ScrapeAsync(InfoHash swarm, CancellationToken cancellationToken);

    /// <summary>
    /// Removes every peer whose expiry is before <paramref name="now"/> and returns the keyed ones among them
    /// (the tracker must take their holdings back); anonymous peers are dropped without a word.
    /// </summary>
    ValueTask<IReadOnlyList<ExpiredPeer>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
