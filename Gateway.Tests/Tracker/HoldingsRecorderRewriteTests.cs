using Gateway.Core.Torrents;
using Gateway.Feedback.Tracker;
using Gateway.State;
using Gateway.State.Memory;

namespace Gateway.Tests.Tracker;

/// <summary>What a tracker writes again when the holdings store lost its state (docs/redis.md, "When Redis loses its memory").</summary>
public sealed class HoldingsRecorderRewriteTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task After_a_reset_each_volunteers_full_holdings_and_fresh_load_are_written_again_and_a_stale_load_is_not()
    {
        var store = new InMemoryHoldingsStore();
        using var recorder = new HoldingsRecorder(store);
        var peer = new PeerId(new byte[20]);
        await recorder.SeedingAsync("v1", InfoHash.Parse("0123456789abcdef0123456789abcdef01234567"), peer, ["a", "b"], rewrite: false, CancellationToken.None);
        await recorder.SeedingAsync("v1", InfoHash.Parse("76543210fedcba9876543210fedcba9876543210"), peer, ["c"], rewrite: false, CancellationToken.None);
        await recorder.ReportLoadAsync("v1", new LoadReport(3, 0, 0, 0, 0, Now), CancellationToken.None);
        await recorder.ReportLoadAsync("v2", new LoadReport(1, 0, 0, 0, 0, Now.AddMinutes(-20)), CancellationToken.None);

        // The store forgets everything, as a Redis restarted empty does.
        await store.RemoveVolunteerAsync("v1", CancellationToken.None);
        await store.RemoveVolunteerAsync("v2", CancellationToken.None);
        Assert.True((await store.GetSnapshotAsync(CancellationToken.None)).IsEmpty);

        var written = await recorder.RewriteAllAsync(Now.AddMinutes(-10), CancellationToken.None);

        var snapshot = await store.GetSnapshotAsync(CancellationToken.None);
        Assert.Equal(1, written);
        Assert.Equal(["a", "b", "c"], snapshot.Holdings["v1"].Order(StringComparer.Ordinal));
        Assert.Equal(3, snapshot.Loads["v1"].ActiveTransfers);
        Assert.False(snapshot.Loads.ContainsKey("v2"));
    }
}
