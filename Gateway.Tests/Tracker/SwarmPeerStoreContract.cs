using System.Net;
using Gateway.Core.Torrents;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Store;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Tracker;

/// <summary>
/// What every <see cref="ISwarmPeerStore"/> must do (the contract in its remarks), run against memory, one Redis and a
/// 3-master Redis Cluster. A store's tests derive from this and say how to make the store on a fake clock.
/// </summary>
public abstract class SwarmPeerStoreContract : StoreClientOwner
{
    private static readonly InfoHash Swarm = InfoHash.Parse("00000000000000000000000000000000000000aa");

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    protected abstract ISwarmPeerStore CreateStore();

    [Fact]
    public async Task Announce_lists_other_peers_but_never_the_requester()
    {
        var store = CreateStore();
        await AnnounceAsync(store, Peer(1, seeder: true));
        await AnnounceAsync(store, Peer(2, seeder: false));
        var (outcome, listed) = await AnnounceAsync(store, Peer(1, seeder: true), want: 10);
        Assert.Equal(PreviousState.Seeder, outcome.Previous);
        Assert.Equal(new SwarmCounts(1, 1, 0), outcome.Counts);
        Assert.Equal([Peer(2, seeder: false).Id], listed.Select(p => p.Id));
    }

    [Fact]
    public async Task The_list_is_at_most_the_buffer_length()
    {
        var store = CreateStore();
        for (var i = 0; i < 30; i++)
        {
            await AnnounceAsync(store, Peer(i, seeder: false));
        }

        var (outcome, listed) = await AnnounceAsync(store, Peer(99, seeder: false), want: 7);
        Assert.Equal(7, outcome.PeersWritten);
        Assert.Equal(7, listed.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public async Task An_expired_peer_is_neither_listed_nor_counted_and_expiry_returns_only_keyed_peers()
    {
        var store = CreateStore();
        await AnnounceAsync(store, Peer(1, seeder: true, volunteer: "v1"));
        await AnnounceAsync(store, Peer(2, seeder: true));
        Time.Advance(TimeSpan.FromMinutes(2));
        var (outcome, listed) = await AnnounceAsync(store, Peer(3, seeder: false));
        Assert.Empty(listed);
        Assert.Equal(new SwarmCounts(0, 1, 0), outcome.Counts);

        Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await store.ExpireAsync(Time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(["v1"], expired.Select(e => e.Peer.VolunteerId));
        Assert.Equal(default, await store.ScrapeAsync(Swarm, CancellationToken.None));
    }

    [Fact]
    public async Task Completions_count_a_leecher_becoming_a_seeder_and_a_finished_leecher_stopping()
    {
        var store = CreateStore();
        await AnnounceAsync(store, Peer(1, seeder: false));
        await AnnounceAsync(store, Peer(1, seeder: true));
        await AnnounceAsync(store, Peer(1, seeder: true));
        await AnnounceAsync(store, Peer(2, seeder: false));
        var removed = await store.RemoveAsync(Swarm, Peer(2, seeder: false).Id, completed: true, CancellationToken.None);
        Assert.Equal(Peer(2, seeder: false).Id, removed?.Id);
        Assert.Equal(new SwarmCounts(1, 0, 2), await store.ScrapeAsync(Swarm, CancellationToken.None));
        Assert.Null(await store.RemoveAsync(Swarm, Peer(2, seeder: false).Id, completed: true, CancellationToken.None));
    }

    [Fact]
    public async Task A_listed_peer_keeps_its_address_v4_or_v6_its_state_and_its_volunteer()
    {
        var store = CreateStore();
        var seeder = Peer(1, seeder: true, volunteer: "v-1") with { Address = PeerAddress.From(IPAddress.Parse("2001:db8::7"), 51413) };
        var leecher = Peer(2, seeder: false);
        await AnnounceAsync(store, seeder);
        await AnnounceAsync(store, leecher);
        var (_, listed) = await AnnounceAsync(store, Peer(3, seeder: false));
        Assert.Equal([leecher, seeder], listed.OrderBy(p => p.Address.Port));
    }

    [Fact]
    public async Task A_peer_that_announces_again_is_refreshed_and_switches_between_seeders_and_leechers()
    {
        var store = CreateStore();
        var (first, _) = await AnnounceAsync(store, Peer(1, seeder: false));
        Assert.Equal(PreviousState.Absent, first.Previous);
        Time.Advance(TimeSpan.FromSeconds(50));
        var (second, _) = await AnnounceAsync(store, Peer(1, seeder: true));
        Assert.Equal(PreviousState.Leecher, second.Previous);
        Time.Advance(TimeSpan.FromSeconds(50));

        // Refreshed by the second announce: still live 100 s after the first, whose lifetime was one minute.
        Assert.Equal(new SwarmCounts(1, 0, 1), await store.ScrapeAsync(Swarm, CancellationToken.None));
        Assert.Empty(await store.ExpireAsync(Time.GetUtcNow(), CancellationToken.None));
    }

    [Fact]
    public async Task A_keyed_peer_that_announced_again_is_not_expired()
    {
        var store = CreateStore();
        await AnnounceAsync(store, Peer(1, seeder: true, volunteer: "v1"));
        Time.Advance(TimeSpan.FromSeconds(50));
        await AnnounceAsync(store, Peer(1, seeder: true, volunteer: "v1"));
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Empty(await store.ExpireAsync(Time.GetUtcNow(), CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(50));
        var expired = await store.ExpireAsync(Time.GetUtcNow(), CancellationToken.None);
        Assert.Equal([new ExpiredPeer(Swarm, Peer(1, seeder: true, volunteer: "v1"))], expired);
        Assert.Empty(await store.ExpireAsync(Time.GetUtcNow(), CancellationToken.None));
    }

    private static SwarmPeer Peer(int n, bool seeder, string? volunteer = null)
    {
        var id = new byte[PeerId.Length];
        id[^1] = (byte)n;
        return new SwarmPeer(new PeerId(id), PeerAddress.From(IPAddress.Loopback, (ushort)(6000 + n)), seeder, volunteer);
    }

    private async Task<(AnnounceOutcome Outcome, SwarmPeer[] Listed)> AnnounceAsync(ISwarmPeerStore store, SwarmPeer peer, int want = 50)
    {
        var buffer = new SwarmPeer[want];
        var outcome = await store.AnnounceAsync(Swarm, peer, Time.GetUtcNow() + TimeSpan.FromMinutes(1), completed: false, buffer, CancellationToken.None);
        return (outcome, buffer[..outcome.PeersWritten]);
    }
}

/// <summary>The in-memory peer store keeps the contract.</summary>
public sealed class InMemorySwarmPeerStoreTests : SwarmPeerStoreContract
{
    protected override ISwarmPeerStore CreateStore() => new InMemorySwarmPeerStore(Time);
}

/// <summary>The Redis peer store (as a tracker uses it: through <c>ResilientSwarmPeerStore</c>) keeps the contract on one redis-server.</summary>
public sealed class RedisSwarmPeerStoreTests(RedisServerFixture redis) : SwarmPeerStoreContract, IClassFixture<RedisServerFixture>
{
    protected override ISwarmPeerStore CreateStore() => Own(StoreClient.Redis(redis.Server.ConnectionString, StoreClient.NewPrefix(), Time)).Peers;
}

/// <summary>The Redis peer store keeps the contract on a 3-master Redis Cluster (swarms in their own slots, the keyed index in another).</summary>
public sealed class RedisClusterSwarmPeerStoreTests(RedisClusterFixture cluster) : SwarmPeerStoreContract, IClassFixture<RedisClusterFixture>
{
    protected override ISwarmPeerStore CreateStore() => Own(StoreClient.Redis(cluster.Cluster.ConnectionString, StoreClient.NewPrefix(), Time)).Peers;
}
