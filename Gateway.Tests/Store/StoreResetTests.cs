using System.Collections.Frozen;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Store;

/// <summary>
/// The reset logic alone, on a fake clock: a store that lost its state is "unknown", not "nobody holds anything";
/// the view keeps each volunteer until it is written again or <c>Store:ViewMaxAge</c> passes.
/// </summary>
public sealed class StoreResetTests
{
    private static readonly StoreGeneration First = new("epoch-1", "run-1");
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private static readonly LoadReport Load = new(1, 0, 0, 0, 0, DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_new_epoch_or_another_server_is_a_reset_and_a_first_look_or_the_same_generation_is_not()
    {
        Assert.Null(StoreGeneration.ResetReason(null, First));
        Assert.Null(StoreGeneration.ResetReason(First, First));
        Assert.Contains("generation key is gone", StoreGeneration.ResetReason(First, First with { Epoch = "epoch-2" }), StringComparison.Ordinal);
        Assert.Contains("another server process", StoreGeneration.ResetReason(First, First with { Server = "run-2" }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_of_a_new_generation_or_an_empty_one_after_volunteers_is_a_reset_and_a_store_without_generations_never_is()
    {
        var view = new HoldingsView(new FakeTimeProvider());
        Assert.Null(HoldingsFollower.ResetReason(view, Snapshot(First)));
        view.Reset(Snapshot(First, ("v1", ["a"])));

        Assert.Null(HoldingsFollower.ResetReason(view, Snapshot(First, ("v2", ["a"]))));
        Assert.NotNull(HoldingsFollower.ResetReason(view, Snapshot(First with { Epoch = "epoch-2" }, ("v1", ["a"]))));
        Assert.NotNull(HoldingsFollower.ResetReason(view, Snapshot(First)));
        Assert.Null(HoldingsFollower.ResetReason(view, Snapshot(null)));
    }

    [Fact]
    public void After_a_reset_the_view_keeps_each_volunteer_until_it_is_written_again_and_takes_what_the_store_has_for_the_rest()
    {
        var time = new FakeTimeProvider();
        var view = new HoldingsView(time);
        view.Reset(Snapshot(First, ("v1", ["a", "b"]), ("v2", ["a"])));
        view.Apply(new LoadReported("v1", Load));

        // Redis came back empty but for v2, written again with new holdings.
        var carried = view.Merge(Snapshot(First with { Epoch = "epoch-2" }, ("v2", ["c"])));

        Assert.Equal(1, carried);
        Assert.Equal(1, view.CarriedCount);
        Assert.Equal(["v1"], view.HoldersOf("a"));
        Assert.Equal(["v1"], view.HoldersOf("b"));
        Assert.Equal(["v2"], view.HoldersOf("c"));
        Assert.True(view.TryGetLoad("v1", out _));
        Assert.Equal("epoch-2", view.Generation?.Epoch);

        // v1's writer writes it again: it is the store's once more, and nothing is carried.
        view.Apply(new HoldingsChanged("v1", ["a"], ["b"]));
        Assert.Equal(0, view.CarriedCount);
        Assert.Equal(["v1"], view.HoldersOf("a"));
        Assert.Empty(view.HoldersOf("b"));
    }

    [Fact]
    public void A_volunteer_nobody_writes_again_after_a_reset_ages_out_after_the_max_age_even_if_its_load_is_fresh()
    {
        var time = new FakeTimeProvider();
        var view = new HoldingsView(time);
        view.Reset(Snapshot(First, ("v1", ["a"])));
        time.Advance(TimeSpan.FromMinutes(1));
        view.Merge(Snapshot(First with { Epoch = "epoch-2" }));

        // Its load keeps coming, its holdings never do: they are as old as the last read that had them.
        time.Advance(TimeSpan.FromMinutes(3));
        view.Apply(new LoadReported("v1", Load));
        view.Merge(Snapshot(First with { Epoch = "epoch-2" }));
        Assert.Equal(0, view.ForgetSilentSince(time.GetUtcNow() - MaxAge));
        Assert.Equal(["v1"], view.HoldersOf("a"));

        time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(1, view.ForgetSilentSince(time.GetUtcNow() - MaxAge));
        Assert.Empty(view.HoldersOf("a"));
        Assert.Equal(0, view.CarriedCount);
    }

    [Fact]
    public void A_removal_after_a_reset_forgets_a_carried_volunteer_at_once()
    {
        var view = new HoldingsView(new FakeTimeProvider());
        view.Reset(Snapshot(First, ("v1", ["a"])));
        view.Merge(Snapshot(First with { Server = "run-2" }));
        view.Apply(new VolunteerRemoved("v1"));
        Assert.Empty(view.HoldersOf("a"));
        Assert.Equal(0, view.CarriedCount);
    }

    [Fact]
    public void A_snapshot_with_older_holdings_or_an_older_load_than_the_view_has_never_replaces_them_and_a_newer_one_does()
    {
        var view = new HoldingsView(new FakeTimeProvider());
        var t1 = DateTimeOffset.UnixEpoch.AddSeconds(1);
        view.Reset(Snapshot(First, ("v1", ["a"])) with { HoldingsWrittenAt = Versions(("v1", t1)) });
        view.Apply(new HoldingsChanged("v1", ["b"], []) { AppliedAt = t1.AddSeconds(1) });
        view.Apply(new LoadReported("v1", Load with { ActiveTransfers = 9, ReportedAt = t1.AddSeconds(1) }));

        // A replica that missed the last write comes back with v1's holdings and load as they were at t1.
        var behind = Snapshot(First with { Server = "run-2" }, ("v1", ["a"])) with
        {
            Loads = new Dictionary<string, LoadReport> { ["v1"] = Load with { ActiveTransfers = 1, ReportedAt = t1 } }.ToFrozenDictionary(StringComparer.Ordinal),
            HoldingsWrittenAt = Versions(("v1", t1)),
        };
        view.Merge(behind);
        view.Reset(behind);
        Assert.Equal(["v1"], view.HoldersOf("b"));
        Assert.True(view.TryGetLoad("v1", out var load));
        Assert.Equal(9, load.ActiveTransfers);

        // Written again since: the store's newer holdings replace the view's.
        view.Reset(Snapshot(First with { Server = "run-2" }, ("v1", ["c"])) with { HoldingsWrittenAt = Versions(("v1", t1.AddSeconds(5))) });
        Assert.Empty(view.HoldersOf("b"));
        Assert.Equal(["v1"], view.HoldersOf("c"));
    }

    private static FrozenDictionary<string, DateTimeOffset> Versions(params (string Volunteer, DateTimeOffset At)[] versions) =>
        versions.ToFrozenDictionary(v => v.Volunteer, v => v.At, StringComparer.Ordinal);

    private static HoldingsSnapshot Snapshot(StoreGeneration? generation, params (string Volunteer, string[] Contents)[] holdings) =>
        new(holdings.ToFrozenDictionary(h => h.Volunteer, h => h.Contents.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal), FrozenDictionary<string, LoadReport>.Empty)
        {
            Generation = generation,
        };
}
