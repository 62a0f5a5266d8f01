using Gateway.State;
using Gateway.State.Memory;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Store;

/// <summary>
/// What every holdings store must do, run against each implementation (in memory, one Redis, a Redis Cluster).
/// A test writes through one client and reads or watches through another, as a tracker and a gateway would.
/// </summary>
public abstract class HoldingsStoreContract : StoreClientOwner
{
    private static readonly LoadReport Load = new(3, 4, 5_000_000_000, 6, 7, new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567), 8_000_000_000);

    // Each step is bounded on its own: store calls by Store:OperationTimeout, waits for changes by NextAsync.
    private static CancellationToken None => CancellationToken.None;

    /// <summary>Two clients of one fresh, empty store (for the in-memory store, the same instance twice).</summary>
    protected abstract (IHoldingsStore Writer, IHoldingsStore Reader, IVolunteerOverrides Overrides, IVolunteerOverrides OverridesAgain) OpenStore();

    /// <summary>Two clients of one fresh store whose volunteers expire after <paramref name="volunteerTtl"/>.</summary>
    protected abstract (IHoldingsStore Writer, IHoldingsStore Reader) OpenExpiringStore(TimeSpan volunteerTtl);

    [Fact]
    public async Task A_volunteer_nobody_writes_about_expires_and_its_removal_is_published()
    {
        var (writer, reader) = OpenExpiringStore(TimeSpan.FromSeconds(1));
        await writer.ReplaceHoldingsAsync("silent", ["a"], None);
        await writer.ReplaceHoldingsAsync("alive", ["a"], None);
        await using var changes = await WatchFromNowAsync(reader);

        // "alive" keeps announcing; the sweep (what HoldingsExpirySweeper runs) removes "silent" once it expired.
        // Wait for the sweep itself: in Redis the volunteer's keys may expire on their own a moment before the
        // sweep finds its registry entry, and only the sweep publishes the removal.
        var swept = 0;
        await Eventually.HoldsAsync(
            async () =>
            {
                await writer.ReportLoadAsync("alive", Load, None);
                swept += await ((IHoldingsExpiry)writer).SweepExpiredAsync(None);
                return swept > 0 && !(await reader.GetSnapshotAsync(None)).Holdings.ContainsKey("silent");
            },
            TimeSpan.FromSeconds(15),
            () => "silent never expired");
        HoldingsChange change;
        while ((change = await NextAsync(changes)) is LoadReported)
        {
        }

        Assert.Equal("silent", Assert.IsType<VolunteerRemoved>(change).VolunteerId);
        Assert.Equal(["a"], (await reader.GetSnapshotAsync(None)).Holdings["alive"]);
    }

    [Fact]
    public async Task Every_watch_starts_with_a_marker_after_which_no_change_is_missed()
    {
        var (writer, reader, _, _) = OpenStore();
        await using var changes = reader.WatchAsync(None).GetAsyncEnumerator(None);
        Assert.True(await changes.MoveNextAsync());
        Assert.IsType<WatchStarted>(changes.Current);

        await writer.UpdateHoldingsAsync("v1", ["a"], [], None);
        Assert.True(await changes.MoveNextAsync());
        var change = Assert.IsType<HoldingsChanged>(changes.Current);
        Assert.Equal("v1", change.VolunteerId);
        Assert.Equal(["a"], change.Added);
    }

    [Fact]
    public async Task Replacing_holdings_publishes_only_the_difference()
    {
        var (writer, reader, _, _) = OpenStore();
        await using var changes = await WatchFromNowAsync(reader);
        await writer.ReplaceHoldingsAsync("v1", ["a", "b"], None);
        var first = Assert.IsType<HoldingsChanged>(await NextAsync(changes));
        Assert.Equal(["a", "b"], first.Added.Order());
        Assert.Empty(first.Removed);

        await writer.ReplaceHoldingsAsync("v1", ["b", "c"], None);
        var second = Assert.IsType<HoldingsChanged>(await NextAsync(changes));
        Assert.Equal(["c"], second.Added);
        Assert.Equal(["a"], second.Removed);

        // The same holdings again change nothing, so nothing is published: the next change is the load.
        await writer.ReplaceHoldingsAsync("v1", ["c", "b"], None);
        await writer.ReportLoadAsync("v1", Load, None);
        Assert.IsType<LoadReported>(await NextAsync(changes));

        await AssertHoldsAsync(reader, "v1", ["b", "c"]);
    }

    [Fact]
    public async Task Updating_holdings_publishes_only_what_really_changed()
    {
        var (writer, reader, _, _) = OpenStore();
        await using var changes = await WatchFromNowAsync(reader);
        await writer.UpdateHoldingsAsync("v1", ["a", "b"], [], None);
        Assert.Equal(["a", "b"], Assert.IsType<HoldingsChanged>(await NextAsync(changes)).Added.Order());

        await writer.UpdateHoldingsAsync("v1", ["b", "c"], ["a", "z"], None);
        var second = Assert.IsType<HoldingsChanged>(await NextAsync(changes));
        Assert.Equal(["c"], second.Added);
        Assert.Equal(["a"], second.Removed);

        await AssertHoldsAsync(reader, "v1", ["b", "c"]);
    }

    [Fact]
    public async Task A_load_report_is_kept_exactly_and_published()
    {
        var (writer, reader, _, _) = OpenStore();
        await using var changes = await WatchFromNowAsync(reader);
        await writer.ReportLoadAsync("v1", Load, None);
        var published = Assert.IsType<LoadReported>(await NextAsync(changes));
        Assert.Equal(Load, published.Report);
        Assert.Equal(Load, (await reader.GetSnapshotAsync(None)).Loads["v1"]);
    }

    [Fact]
    public async Task Removing_a_volunteer_forgets_it_and_publishes_the_removal_once()
    {
        var (writer, reader, _, _) = OpenStore();
        await writer.UpdateHoldingsAsync("v1", ["a"], [], None);
        await writer.ReportLoadAsync("v1", Load, None);
        await writer.UpdateHoldingsAsync("v2", ["a"], [], None);
        await using var changes = await WatchFromNowAsync(reader);

        await writer.RemoveVolunteerAsync("v1", None);
        Assert.Equal("v1", Assert.IsType<VolunteerRemoved>(await NextAsync(changes)).VolunteerId);
        await writer.RemoveVolunteerAsync("v1", None);
        await writer.ReportLoadAsync("v2", Load, None);
        Assert.Equal("v2", Assert.IsType<LoadReported>(await NextAsync(changes)).VolunteerId);

        var snapshot = await reader.GetSnapshotAsync(None);
        Assert.False(snapshot.Holdings.ContainsKey("v1"));
        Assert.False(snapshot.Loads.ContainsKey("v1"));
        Assert.Equal(["a"], snapshot.Holdings["v2"]);
    }

    [Fact]
    public async Task A_snapshot_has_every_volunteer_with_its_holdings_and_load()
    {
        var (writer, reader, _, _) = OpenStore();
        for (var i = 0; i < 20; i++)
        {
            await writer.ReplaceHoldingsAsync($"v{i}", [$"c{i}", "shared"], None);
            await writer.ReportLoadAsync($"v{i}", Load with { ActiveTransfers = i }, None);
        }

        var snapshot = await reader.GetSnapshotAsync(None);
        Assert.Equal(20, snapshot.Holdings.Count);
        Assert.Equal(20, snapshot.Loads.Count);
        Assert.Equal([$"c7", "shared"], snapshot.Holdings["v7"].Order());
        Assert.Equal(7, snapshot.Loads["v7"].ActiveTransfers);
    }

    [Fact]
    public async Task Two_watchers_see_the_same_changes_in_the_order_they_were_made()
    {
        var (writer, reader, _, _) = OpenStore();
        await using var first = await WatchFromNowAsync(reader);
        await using var second = await WatchFromNowAsync(reader);
        for (var i = 0; i < 30; i++)
        {
            await writer.UpdateHoldingsAsync("v1", [$"c{i}"], i > 0 ? [$"c{i - 1}"] : [], None);
        }

        foreach (var changes in new[] { first, second })
        {
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal([$"c{i}"], Assert.IsType<HoldingsChanged>(await NextAsync(changes)).Added);
            }
        }
    }

    [Fact]
    public async Task Large_holdings_are_kept_whole()
    {
        var (writer, reader, _, _) = OpenStore();
        var contents = Enumerable.Range(0, 10_000).Select(i => $"{i:x64}").ToArray();
        await writer.ReplaceHoldingsAsync("v1", contents, None);
        await writer.ReplaceHoldingsAsync("v1", contents[1..], None);
        var snapshot = await reader.GetSnapshotAsync(None);
        Assert.Equal(contents.Length - 1, snapshot.Holdings["v1"].Count);
        Assert.DoesNotContain(contents[0], (IReadOnlySet<string>)snapshot.Holdings["v1"]);
    }

    [Fact]
    public async Task A_view_follows_the_store_and_forgets_a_removed_volunteer()
    {
        var (writer, reader, _, _) = OpenStore();
        await writer.ReplaceHoldingsAsync("v0", ["before-start"], None);
        var view = new HoldingsView(TimeProvider.System);
        using var follower = new HoldingsFollower(reader, view, TimeProvider.System, NullLogger<HoldingsFollower>.Instance);
        await follower.StartAsync(None);
        try
        {
            Assert.Equal(["v0"], view.HoldersOf("before-start"));
            await writer.UpdateHoldingsAsync("v1", ["x", "y"], [], None);
            await writer.UpdateHoldingsAsync("v2", ["x"], [], None);
            await writer.ReportLoadAsync("v1", Load, None);
            await Eventually.HoldsAsync(() => view.HoldersOf("x").Length == 2 && view.TryGetLoad("v1", out _), TimeSpan.FromSeconds(10), () => string.Join(",", view.HoldersOf("x")));

            await writer.RemoveVolunteerAsync("v1", None);
            await Eventually.HoldsAsync(() => view.HoldersOf("x") is ["v2"] && view.HoldersOf("y").Length == 0 && !view.TryGetLoad("v1", out _), TimeSpan.FromSeconds(10), () => string.Join(",", view.HoldersOf("x")));
        }
        finally
        {
            await follower.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Overrides_set_by_hand_are_seen_by_every_client_until_cleared()
    {
        var (_, _, overrides, again) = OpenStore();
        var drain = new VolunteerOverride(LbFactor: 500, LbSet: 1, Route: null, Status: "+N", SetAt: Load.ReportedAt);
        await overrides.SetAsync("v1", drain, None);
        await overrides.SetAsync("v2", drain with { Status = "+D", Route = "r2" }, None);
        await overrides.SetLbMethodAsync("bybusyness", None);
        var seen = await again.GetAllAsync(None);
        Assert.Equal(drain, seen["v1"]);
        Assert.Equal(("+D", "r2"), (seen["v2"].Status, seen["v2"].Route));
        Assert.Equal("bybusyness", await again.GetLbMethodAsync(None));

        await again.ClearAsync("v1", None);
        await again.SetLbMethodAsync(null, None);
        Assert.Equal(["v2"], (await overrides.GetAllAsync(None)).Keys);
        Assert.Null(await overrides.GetLbMethodAsync(None));
    }

    /// <summary>A writer and a reader of one fresh Redis store with a short volunteer TTL.</summary>
    protected (IHoldingsStore, IHoldingsStore) OpenExpiring(string writerConnection, string readerConnection, TimeSpan volunteerTtl)
    {
        var prefix = StoreClient.NewPrefix();
        var ttl = ("Store:VolunteerTtl", volunteerTtl.ToString());
        return (Own(StoreClient.Redis(writerConnection, prefix, ttl)).Store, Own(StoreClient.Redis(readerConnection, prefix, ttl)).Store);
    }

    private static async Task AssertHoldsAsync(IHoldingsStore store, string volunteerId, string[] expected) =>
        Assert.Equal(expected, (await store.GetSnapshotAsync(None)).Holdings[volunteerId].Order());

    /// <summary>A watch that is live (its marker was seen), so every change made after this returns is delivered.</summary>
    private static async Task<IAsyncEnumerator<HoldingsChange>> WatchFromNowAsync(IHoldingsStore store)
    {
        var changes = store.WatchAsync(None).GetAsyncEnumerator(None);
        Assert.True(await changes.MoveNextAsync());
        Assert.IsType<WatchStarted>(changes.Current);
        return changes;
    }

    private static async Task<HoldingsChange> NextAsync(IAsyncEnumerator<HoldingsChange> changes)
    {
        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)), "the watch ended");
        return changes.Current;
    }
}

public sealed class InMemorySwarmStoreContractTests : HoldingsStoreContract
{
    protected override (IHoldingsStore, IHoldingsStore, IVolunteerOverrides, IVolunteerOverrides) OpenStore()
    {
        var store = new InMemoryHoldingsStore();
        var overrides = new InMemoryVolunteerOverrides();
        return (store, store, overrides, overrides);
    }

    protected override (IHoldingsStore, IHoldingsStore) OpenExpiringStore(TimeSpan volunteerTtl)
    {
        var store = new InMemoryHoldingsStore(TimeProvider.System, volunteerTtl);
        return (store, store);
    }
}

public sealed class RedisSwarmStoreContractTests(RedisServerFixture redis) : HoldingsStoreContract, IClassFixture<RedisServerFixture>
{
    protected override (IHoldingsStore, IHoldingsStore, IVolunteerOverrides, IVolunteerOverrides) OpenStore()
    {
        var prefix = StoreClient.NewPrefix();
        var writer = Own(StoreClient.Redis(redis.Server.ConnectionString, prefix));
        var reader = Own(StoreClient.Redis(redis.Server.ConnectionString, prefix));
        return (writer.Store, reader.Store, writer.Overrides, reader.Overrides);
    }

    protected override (IHoldingsStore, IHoldingsStore) OpenExpiringStore(TimeSpan volunteerTtl) =>
        OpenExpiring(redis.Server.ConnectionString, redis.Server.ConnectionString, volunteerTtl);
}

public sealed class RedisClusterSwarmStoreContractTests(RedisClusterFixture cluster) : HoldingsStoreContract, IClassFixture<RedisClusterFixture>
{
    protected override (IHoldingsStore, IHoldingsStore, IVolunteerOverrides, IVolunteerOverrides) OpenStore()
    {
        var prefix = StoreClient.NewPrefix();
        var writer = Own(StoreClient.Redis(cluster.Cluster.ConnectionString, prefix));

        // The reader names only one node: it finds the others (and the slot's owner) from the cluster itself.
        var reader = Own(StoreClient.Redis(cluster.Cluster.Nodes[2].ConnectionString, prefix));
        return (writer.Store, reader.Store, writer.Overrides, reader.Overrides);
    }

    protected override (IHoldingsStore, IHoldingsStore) OpenExpiringStore(TimeSpan volunteerTtl) =>
        OpenExpiring(cluster.Cluster.ConnectionString, cluster.Cluster.Nodes[2].ConnectionString, volunteerTtl);
}

/// <summary>One real redis-server for a test class, stopped after it.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>One real 3-master Redis Cluster for a test class, stopped after it.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public RedisCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
