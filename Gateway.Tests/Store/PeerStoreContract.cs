using Gateway.Feedback.Store;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Store;

/// <summary>What every tracker peer store must do, run against memory, one Redis and a Redis Cluster.</summary>
public abstract class PeerStoreContract : StoreClientOwner
{
    private const string Torrent = "0123456789abcdef0123456789abcdef01234567";
    /// <summary>A fresh, empty peer store whose peers expire after <paramref name="peerTtl"/>.</summary>
    protected abstract IPeerStore OpenStore(TimeSpan peerTtl);

    [Fact]
    public async Task Announced_peers_are_listed_with_their_address_port_and_state()
    {
        var store = OpenStore(TimeSpan.FromMinutes(10));
        var seeder = Peer(1, complete: true);
        var leecher = Peer(2, complete: false) with { Address = "2001:db8::7" };
        await store.AnnounceAsync(Torrent, seeder, completedNow: false, CancellationToken.None);
        await store.AnnounceAsync(Torrent, leecher, completedNow: false, CancellationToken.None);

        var listed = await store.ListAsync(Torrent, 50, requesterPeerId: null, leechersOnly: false, CancellationToken.None);
        Assert.Equal([seeder, leecher], listed.OrderBy(p => p.PeerId, StringComparer.Ordinal));
        Assert.Empty(await store.ListAsync("ffffffffffffffffffffffffffffffffffffffff", 50, null, false, CancellationToken.None));
    }

    [Fact]
    public async Task Numwant_caps_the_list_the_requester_is_never_listed_and_a_seeder_gets_only_leechers()
    {
        var store = OpenStore(TimeSpan.FromMinutes(10));
        for (var i = 0; i < 30; i++)
        {
            await store.AnnounceAsync(Torrent, Peer(i, complete: i % 3 == 0), completedNow: false, CancellationToken.None);
        }

        var requester = Peer(1, complete: false).PeerId;
        for (var round = 0; round < 5; round++)
        {
            var listed = await store.ListAsync(Torrent, 7, requester, leechersOnly: false, CancellationToken.None);
            Assert.Equal(7, listed.Count);
            Assert.Equal(7, listed.Select(p => p.PeerId).Distinct().Count());
            Assert.DoesNotContain(listed, p => p.PeerId == requester);
        }

        var forSeeder = await store.ListAsync(Torrent, 100, Peer(0, true).PeerId, leechersOnly: true, CancellationToken.None);
        Assert.Equal(20, forSeeder.Count);
        Assert.All(forSeeder, p => Assert.False(p.Complete));
    }

    [Fact]
    public async Task A_leecher_that_completes_is_counted_once_as_a_seeder_and_as_a_download()
    {
        var store = OpenStore(TimeSpan.FromMinutes(10));
        await store.AnnounceAsync(Torrent, Peer(1, complete: false), completedNow: false, CancellationToken.None);
        await store.AnnounceAsync(Torrent, Peer(2, complete: false), completedNow: false, CancellationToken.None);
        Assert.Equal(new ScrapeCounts(0, 2, 0), await store.ScrapeAsync(Torrent, CancellationToken.None));

        await store.AnnounceAsync(Torrent, Peer(1, complete: true), completedNow: true, CancellationToken.None);
        await store.AnnounceAsync(Torrent, Peer(1, complete: true), completedNow: false, CancellationToken.None);
        Assert.Equal(new ScrapeCounts(1, 1, 1), await store.ScrapeAsync(Torrent, CancellationToken.None));

        await store.RemoveAsync(Torrent, Peer(2, false).PeerId, CancellationToken.None);
        Assert.Equal(new ScrapeCounts(1, 0, 1), await store.ScrapeAsync(Torrent, CancellationToken.None));
        Assert.Equal([Peer(1, true)], await store.ListAsync(Torrent, 10, null, false, CancellationToken.None));
    }

    [Fact]
    public async Task A_peer_that_stops_announcing_expires_while_one_that_announces_stays()
    {
        var store = OpenStore(TimeSpan.FromSeconds(1));
        await store.AnnounceAsync(Torrent, Peer(1, complete: true), completedNow: false, CancellationToken.None);
        await Eventually.HoldsAsync(
            async () =>
            {
                await store.AnnounceAsync(Torrent, Peer(2, complete: false), completedNow: false, CancellationToken.None);
                return await store.ScrapeAsync(Torrent, CancellationToken.None) == new ScrapeCounts(0, 1, 0);
            },
            TimeSpan.FromSeconds(15),
            () => "the silent seeder never expired");
        Assert.Equal([Peer(2, false)], await store.ListAsync(Torrent, 10, null, false, CancellationToken.None));
    }

    private static SwarmPeer Peer(int n, bool complete) => new($"{n:x40}", $"10.0.0.{n}", 6881 + n, complete);
}

public sealed class InMemoryPeerStoreContractTests : PeerStoreContract
{
    protected override IPeerStore OpenStore(TimeSpan peerTtl) => new InMemoryPeerStore(TimeProvider.System, peerTtl, new Random(1));
}

public sealed class RedisPeerStoreContractTests(RedisServerFixture redis) : PeerStoreContract, IClassFixture<RedisServerFixture>
{
    protected override IPeerStore OpenStore(TimeSpan peerTtl) =>
        Own(StoreClient.Redis(redis.Server.ConnectionString, StoreClient.NewPrefix(), ("Store:PeerTtl", peerTtl.ToString()))).Peers;
}

public sealed class RedisClusterPeerStoreContractTests(RedisClusterFixture cluster) : PeerStoreContract, IClassFixture<RedisClusterFixture>
{
    protected override IPeerStore OpenStore(TimeSpan peerTtl) =>
        Own(StoreClient.Redis(cluster.Cluster.ConnectionString, StoreClient.NewPrefix(), ("Store:PeerTtl", peerTtl.ToString()))).Peers;
}
