namespace Gateway.Core.Torrents;

/// <summary>One peer of a swarm as the tracker keeps it.</summary>
/// <param name="Id">The client's peer id; a swarm holds one entry per peer id.</param>
/// <param name="Address">Where it listens.</param>
/// <param name="IsSeeder">True when its last announce said <c>left=0</c>.</param>
/// <param name="VolunteerId">The volunteer it announced for (a valid key), or null for an anonymous peer.</param>
public readonly record struct SwarmPeer(PeerId Id, PeerAddress Address, bool IsSeeder, string? VolunteerId);

/// <summary>How many peers a swarm has (what a scrape answers).</summary>
/// <param name="Seeders">Peers with nothing left to download.</param>
/// <param name="Leechers">Peers still downloading.</param>
/// <param name="Completed">Times a peer finished downloading (the scrape's <c>downloaded</c>).</param>
public readonly record struct SwarmCounts(int Seeders, int Leechers, int Completed);
