using Gateway.State;
using Gateway.State.Memory;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Store;

public sealed class HoldingsStoreTests
{
    private static readonly LoadReport Load = new(3, 4, 5, 6, 7, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Applying_a_change_twice_leaves_the_same_view_and_an_older_report_never_replaces_a_newer_one()
    {
        var view = new HoldingsView(TimeProvider.System);
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
        var store = new InMemoryHoldingsStore();
        var view = new HoldingsView(TimeProvider.System);
        using var follower = new HoldingsFollower(store, view, TimeProvider.System, NullLogger<HoldingsFollower>.Instance) { ReconcileInterval = TimeSpan.FromMilliseconds(200) };
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
