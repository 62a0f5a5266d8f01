using Gateway.Feedback.Store;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Store;

public sealed class SwarmStoreTests
{
    private static readonly LoadReport Load = new(3, 4, 5, 6, 7, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Replacing_holdings_publishes_only_the_difference()
    {
        var store = new InMemorySwarmStore();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var changes = store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();
        await store.ReplaceHoldingsAsync("v1", ["a", "b"], cts.Token);
        Assert.True(await next);
        var first = Assert.IsType<HoldingsChanged>(changes.Current);
        Assert.Equal(["a", "b"], first.Added.Order());

        await store.ReplaceHoldingsAsync("v1", ["b", "c"], cts.Token);
        Assert.True(await changes.MoveNextAsync());
        var second = Assert.IsType<HoldingsChanged>(changes.Current);
        Assert.Equal(["c"], second.Added);
        Assert.Equal(["a"], second.Removed);

        var snapshot = await store.GetSnapshotAsync(cts.Token);
        Assert.Equal(["b", "c"], snapshot.Holdings["v1"].Order());
    }

    [Fact]
    public async Task A_view_follows_the_store_and_forgets_a_removed_volunteer()
    {
        var store = new InMemorySwarmStore();
        await store.ReplaceHoldingsAsync("v0", ["before-start"], CancellationToken.None);
        var view = new SwarmView(TimeProvider.System);
        using var follower = new SwarmFollower(store, view, TimeProvider.System, NullLogger<SwarmFollower>.Instance);
        await follower.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(["v0"], view.HoldersOf("before-start"));
            await store.UpdateHoldingsAsync("v1", ["x", "y"], [], CancellationToken.None);
            await store.UpdateHoldingsAsync("v2", ["x"], [], CancellationToken.None);
            await store.ReportLoadAsync("v1", Load, CancellationToken.None);
            await Eventually.HoldsAsync(() => view.HoldersOf("x").Length == 2 && view.TryGetLoad("v1", out _), TimeSpan.FromSeconds(5), () => string.Join(",", view.HoldersOf("x")));

            await store.RemoveVolunteerAsync("v1", CancellationToken.None);
            await Eventually.HoldsAsync(() => view.HoldersOf("x") is ["v2"] && view.HoldersOf("y").Length == 0 && !view.TryGetLoad("v1", out _), TimeSpan.FromSeconds(5), () => string.Join(",", view.HoldersOf("x")));
        }
        finally
        {
            await follower.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Applying_a_change_twice_leaves_the_same_view_and_an_older_report_never_replaces_a_newer_one()
    {
        var view = new SwarmView(TimeProvider.System);
        var change = new HoldingsChanged("v1", ["x"], []);
        view.Apply(change);
        view.Apply(change);
        Assert.Equal(["v1"], view.HoldersOf("x"));

        view.Apply(new LoadReported("v1", Load with { ActiveTransfers = 9, ReportedAt = DateTimeOffset.UnixEpoch.AddSeconds(10) }));
        view.Apply(new LoadReported("v1", Load with { ActiveTransfers = 1, ReportedAt = DateTimeOffset.UnixEpoch.AddSeconds(5) }));
        Assert.True(view.TryGetLoad("v1", out var report));
        Assert.Equal(9, report.ActiveTransfers);
    }

    [Fact]
    public async Task A_reconcile_repairs_a_view_that_missed_a_change()
    {
        var store = new InMemorySwarmStore();
        var view = new SwarmView(TimeProvider.System);
        using var follower = new SwarmFollower(store, view, TimeProvider.System, NullLogger<SwarmFollower>.Instance) { ReconcileInterval = TimeSpan.FromMilliseconds(200) };
        await follower.StartAsync(CancellationToken.None);
        try
        {
            // A change the view never heard of (a lost notification) is corrected by the next full read.
            view.Apply(new HoldingsChanged("ghost", ["x"], []));
            await store.UpdateHoldingsAsync("v1", ["x"], [], CancellationToken.None);
            await Eventually.HoldsAsync(() => view.HoldersOf("x") is ["v1"], TimeSpan.FromSeconds(5), () => string.Join(",", view.HoldersOf("x")));
        }
        finally
        {
            await follower.StopAsync(CancellationToken.None);
        }
    }
}
