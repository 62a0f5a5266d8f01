using System.Net;
using Gateway.Core.Torrents;
using Gateway.State;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Store;

/// <summary>What only the tracker's Redis store has to do: expiry by the store shared by several trackers, and answering while Redis is down.</summary>
public sealed class RedisSwarmPeerStoreTests(RedisServerFixture shared) : IClassFixture<RedisServerFixture>
{
    private static readonly InfoHash Swarm = InfoHash.Parse("00000000000000000000000000000000000000bb");

    [Fact]
    public async Task Two_trackers_on_one_redis_share_swarms_and_one_sweep_reports_an_expired_volunteer_peer_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var prefix = StoreClient.NewPrefix();
        (string, string)[] quick = [("Store:TrackerFlushInterval", "00:00:00.050"), ("Store:TrackerRefreshInterval", "00:00:00.100")];
        await using var first = StoreClient.Redis(shared.Server.ConnectionString, prefix, time, quick);
        await using var second = StoreClient.Redis(shared.Server.ConnectionString, prefix, time, quick);

        await AnnounceAsync(first.Peers, time, Peer(1, volunteer: "v1"));
        await AnnounceAsync(second.Peers, time, Peer(2, volunteer: null));

        // Each tracker answers from its own copy; the other's peers arrive with its next refresh (the fake clock's
        // steps run the flushes and refreshes).
        await Eventually.HoldsAsync(
            async () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                var counts = await second.Peers.ScrapeAsync(Swarm, CancellationToken.None);
                return counts == new SwarmCounts(2, 0, 0);
            },
            TimeSpan.FromSeconds(20),
            () => "the second tracker never saw the first one's peer");
        var (outcome, listed) = await AnnounceAsync(second.Peers, time, Peer(3, volunteer: null));
        Assert.Equal(new SwarmCounts(3, 0, 0), outcome.Counts);
        Assert.Equal([1, 2], listed.Select(p => p.Address.Port - 6000).Order());

        time.Advance(TimeSpan.FromMinutes(2));
        var sweeps = await Task.WhenAll(
            first.Peers.ExpireAsync(time.GetUtcNow(), CancellationToken.None).AsTask(),
            second.Peers.ExpireAsync(time.GetUtcNow(), CancellationToken.None).AsTask());
        Assert.Equal([new ExpiredPeer(Swarm, Peer(1, volunteer: "v1"))], sweeps.SelectMany(s => s));

        // The anonymous peers are purged by the store on the swarm's next write: only the newcomer's record is left.
        await AnnounceAsync(first.Peers, time, Peer(4, volunteer: null));
        await first.Peers.ExpireAsync(time.GetUtcNow(), CancellationToken.None);
        var records = await shared.Server.CliAsync("hlen", $"{{{prefix}:t:{Swarm}}}:peers");
        Assert.Equal("1", records.Stdout.Trim());
    }

    [Fact]
    public async Task A_peer_announced_to_one_tracker_reaches_redis_within_the_flush_bound_and_another_tracker_lists_it_within_the_refresh_bound()
    {
        var prefix = StoreClient.NewPrefix();
        (string, string)[] intervals = [("Store:TrackerFlushInterval", "00:00:00.200"), ("Store:TrackerRefreshInterval", "00:00:01")];
        await using var first = StoreClient.Redis(shared.Server.ConnectionString, prefix, intervals);
        await using var second = StoreClient.Redis(shared.Server.ConnectionString, prefix, intervals);
        await AnnounceAsync(second.Peers, TimeProvider.System, Peer(2, volunteer: null));

        // Answered at once from the first tracker's copy, without waiting for Redis.
        var (outcome, _) = await AnnounceAsync(first.Peers, TimeProvider.System, Peer(1, volunteer: "v1"));
        Assert.Equal(PreviousState.Absent, outcome.Previous);

        // Bounds: flush 0.2 s, refresh 1 s (plus the other's flush); polled for ten times that, for a loaded machine.
        await Eventually.HoldsAsync(
            async () => (await shared.Server.CliAsync("zcard", $"{{{prefix}:t:{Swarm}}}:seeders")).Stdout.Trim() == "2",
            TimeSpan.FromSeconds(2),
            () => "the announces never reached Redis");
        await Eventually.HoldsAsync(
            async () =>
            {
                var (_, listed) = await AnnounceAsync(second.Peers, TimeProvider.System, Peer(2, volunteer: null));
                return listed.Any(p => p.VolunteerId == "v1");
            },
            TimeSpan.FromSeconds(12),
            () => "the second tracker never listed the peer announced to the first");
    }

    [Fact]
    public async Task The_tracker_answers_while_redis_is_down_and_writes_its_announces_through_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = StoreClient.NewPrefix();
        await using var tracker = StoreClient.Redis(redis.ConnectionString, prefix);
        await AnnounceAsync(tracker.Peers, TimeProvider.System, Peer(1, volunteer: "v1"));
        await Eventually.HoldsAsync(
            async () => (await redis.CliAsync("zcard", $"{{{prefix}:t:{Swarm}}}:seeders")).Stdout.Trim() == "1",
            TimeSpan.FromSeconds(10),
            () => "the first announce never reached Redis");

        await redis.KillAsync();

        // Announces never wait for Redis: answered from the tracker's own copy, which still has the first peer.
        await AnnounceAsync(tracker.Peers, TimeProvider.System, Peer(2, volunteer: null)).WaitAsync(TimeSpan.FromSeconds(10));
        var (outcome, listed) = await AnnounceAsync(tracker.Peers, TimeProvider.System, Peer(3, volunteer: "v3")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1, 2], listed.Select(p => p.Address.Port - 6000).Order());
        Assert.Equal(new SwarmCounts(3, 0, 0), outcome.Counts);

        // Restarted empty (no persistence): what announced during the outage is written through. The bound is the
        // client's reconnect, whose back-off grew while Redis was down (20 s was once too short under a full suite).
        await redis.RestartAsync();
        await Eventually.HoldsAsync(
            async () => (await redis.CliAsync("zcard", $"{{{prefix}:t:{Swarm}}}:seeders")).Stdout.Trim() == "2",
            TimeSpan.FromSeconds(60),
            () => "the announces made while Redis was down never reached it");
    }

    private static SwarmPeer Peer(int n, string? volunteer)
    {
        var id = new byte[PeerId.Length];
        id[^1] = (byte)n;
        return new SwarmPeer(new PeerId(id), PeerAddress.From(IPAddress.Loopback, (ushort)(6000 + n)), IsSeeder: true, volunteer);
    }

    private static async Task<(AnnounceOutcome Outcome, SwarmPeer[] Listed)> AnnounceAsync(ISwarmPeerStore store, TimeProvider time, SwarmPeer peer)
    {
        var buffer = new SwarmPeer[50];
        var outcome = await store.AnnounceAsync(Swarm, peer, time.GetUtcNow() + TimeSpan.FromMinutes(1), completed: false, buffer, CancellationToken.None);
        return (outcome, buffer[..outcome.PeersWritten]);
    }
}
