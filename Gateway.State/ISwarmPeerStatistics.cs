namespace Gateway.State;

/// <summary>Live swarm and peer counts of a peer store, for the tracker's gauges.</summary>
/// <param name="Swarms">Torrents with at least one live peer.</param>
/// <param name="Seeders">Live seeders in all swarms.</param>
/// <param name="Leechers">Live leechers in all swarms.</param>
/// <param name="KeyedSeeders">Seeders that announced with a volunteer key (holders).</param>
/// <param name="KeyedLeechers">Leechers that announced with a volunteer key (syncing volunteers).</param>
public readonly record struct SwarmPeerCount(int Swarms, int Seeders, int Leechers, int KeyedSeeders, int KeyedLeechers);

/// <summary>A peer store that can count what it holds cheaply enough to do at every scrape of the metrics.</summary>
public interface ISwarmPeerStatistics
{
    SwarmPeerCount Count();
}
