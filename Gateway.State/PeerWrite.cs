using Gateway.Core.Torrents;
using Gateway.State.Redis;

namespace Gateway.State;

/// <summary>A peer's latest change not yet in Redis: an announce (<see cref="Peer"/> set) or a removal.</summary>
public sealed record PeerWrite(InfoHash Swarm, PeerId Id, SwarmPeer? Peer, DateTimeOffset ExpiresAt, bool Completed);

/// <summary>What Redis holds of one swarm since a tracker last read it (see <see cref="RedisSwarmPeerStore.ReadSinceAsync"/>).</summary>
/// <param name="Swarm">The swarm.</param>
/// <param name="Sequence">Its change counter now: the next read asks for what came after it.</param>
/// <param name="Completed">Its completed count.</param>
/// <param name="Whole">True when <see cref="Peers"/> are every live peer of the swarm (a first read, a read too late
/// for the log, or a swarm Redis lost); false when they are the changes since.</param>
/// <param name="Peers">Peers changed since (or every live peer), and peers gone since.</param>
public sealed record SwarmCopy(InfoHash Swarm, long Sequence, int Completed, bool Whole, MergedPeer[] Peers);
