using System.Collections.Frozen;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Store;

/// <summary>The view's per-volunteer holdings count (metrics and readiness) follows every kind of change, replays included.</summary>
public sealed class HoldingsCountTests
{
    [Fact]
    public void The_count_follows_snapshots_changes_replays_removals_and_forgetting()
    {
        var view = new HoldingsView(new FakeTimeProvider());
        view.Reset(new HoldingsSnapshot(
            new Dictionary<string, FrozenSet<string>> { ["v1"] = FrozenSet.Create("a", "b"), ["v2"] = FrozenSet.Create("a") }.ToFrozenDictionary(),
            FrozenDictionary<string, LoadReport>.Empty));
        Assert.Equal(2, view.HoldingsOf("v1"));
        Assert.Equal(1, view.HoldingsOf("v2"));
        Assert.Equal(0, view.HoldingsOf("v3"));

        var change = new HoldingsChanged("v1", ["c", "a"], ["b"]);
        view.Apply(change);
        view.Apply(change);
        Assert.Equal(2, view.HoldingsOf("v1"));
        Assert.Equal(["v1", "v2"], view.HoldersOf("a"));
        Assert.Empty(view.HoldersOf("b"));

        view.Apply(new HoldingsChanged("v2", [], ["a", "zzz"]));
        Assert.Equal(0, view.HoldingsOf("v2"));

        view.Apply(new VolunteerRemoved("v1"));
        Assert.Equal(0, view.HoldingsOf("v1"));
        Assert.Empty(view.HoldersOf("c"));
    }
}
