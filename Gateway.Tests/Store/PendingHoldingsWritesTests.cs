using Gateway.State;
using Gateway.State.Resilience;

namespace Gateway.Tests.Store;

public sealed class PendingHoldingsWritesTests
{
    private static readonly LoadReport Load = new(1, 2, 3, 4, 5, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Updates_after_a_replace_fold_into_the_replaced_holdings()
    {
        var pending = new PendingHoldingsWrites();
        pending.Replace("v1", ["a", "b"]);
        pending.Update("v1", ["c"], ["a"]);
        var write = Assert.Single(pending.Peek());
        Assert.Equal(["b", "c"], write.Replace!.Order());
        Assert.False(write.Forget);
    }

    [Fact]
    public void Updates_alone_keep_only_the_last_word_on_each_content()
    {
        var pending = new PendingHoldingsWrites();
        pending.Update("v1", ["a", "b"], ["x"]);
        pending.Update("v1", ["x"], ["a"]);
        var write = Assert.Single(pending.Peek());
        Assert.Null(write.Replace);
        Assert.Equal(["b", "x"], write.Added.Order());
        Assert.Equal(["a"], write.Removed);
    }

    [Fact]
    public void A_removal_forgets_what_came_before_and_what_follows_starts_from_nothing()
    {
        var pending = new PendingHoldingsWrites();
        pending.Replace("v1", ["a"]);
        pending.ReportLoad("v1", Load);
        pending.Remove("v1");
        pending.Update("v1", ["b"], []);
        var write = Assert.Single(pending.Peek());
        Assert.True(write.Forget);
        Assert.Equal(["b"], write.Replace!);
        Assert.Null(write.Load);
    }

    [Fact]
    public void An_older_load_report_never_replaces_a_newer_one()
    {
        var pending = new PendingHoldingsWrites();
        pending.ReportLoad("v1", Load with { ActiveTransfers = 9, ReportedAt = Load.ReportedAt.AddSeconds(10) });
        pending.ReportLoad("v1", Load);
        Assert.Equal(9, Assert.Single(pending.Peek()).Load!.Value.ActiveTransfers);
    }

    [Fact]
    public void A_written_entry_stays_when_a_newer_write_was_merged_while_it_was_written()
    {
        var pending = new PendingHoldingsWrites();
        pending.Replace("v1", ["a"]);
        var first = Assert.Single(pending.Peek());
        pending.Update("v1", ["b"], []);
        pending.Complete(first);
        Assert.Equal(1, pending.Count);
        pending.Complete(Assert.Single(pending.Peek()));
        Assert.Equal(0, pending.Count);
    }
}
