using Gateway.State;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Store;

/// <summary>What only the Redis store has to do: expiry by the store, and carrying on while Redis is down or restarted.</summary>
public sealed class RedisHoldingsStoreTests
{
    private static readonly LoadReport Load = new(1, 2, 3, 4, 5, DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("1,2,3,4,5,6", true, null)] // written before x_http_left existed: read as not reported
    [InlineData("1,2,3,4,5,6,7", true, 7L)]
    [InlineData("1,2,3,4,5,6,-7", false, null)]
    [InlineData("1,2,3,4,5,6,x", false, null)]
    [InlineData("1,2,3,4,5", false, null)]
    [InlineData("1,2,3,4,5,6,7,8", false, null)]
    public void A_stored_load_reads_with_or_without_the_bytes_left_and_anything_else_is_no_report(string stored, bool read, long? left)
    {
        Assert.Equal(read, RedisHoldingsStore.TryDecodeLoad(stored, out var report));
        Assert.Equal(left, report.CustomerBytesLeft);
        if (read)
        {
            Assert.True(RedisHoldingsStore.TryDecodeLoad(RedisHoldingsStore.EncodeLoad(report), out var again));
            Assert.Equal(report, again);
        }
    }

    [Fact]
    public async Task A_volunteer_nobody_writes_about_expires_and_every_reader_drops_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = StoreClient.NewPrefix();
        (string, string)[] shortLived = [("Store:VolunteerTtl", "00:00:01"), ("Store:SweepInterval", "00:00:00.2")];
        await using var writer = await StoreClient.Redis(redis.ConnectionString, prefix, shortLived).StartAsync();
        await using var reader = await StoreClient.Redis(redis.ConnectionString, prefix, shortLived).StartAsync();

        await writer.Store.ReplaceHoldingsAsync("silent", ["a"], CancellationToken.None);
        await writer.Store.ReplaceHoldingsAsync("alive", ["a"], CancellationToken.None);
        await Eventually.HoldsAsync(() => reader.View.HoldersOf("a").Length == 2, TimeSpan.FromSeconds(10), () => string.Join(",", reader.View.HoldersOf("a")));

        // "alive" keeps announcing; "silent" does not, and must go from Redis and from both views.
        await Eventually.HoldsAsync(
            async () =>
            {
                await writer.Store.ReportLoadAsync("alive", Load, CancellationToken.None);
                return reader.View.HoldersOf("a") is ["alive"] && writer.View.HoldersOf("a") is ["alive"];
            },
            TimeSpan.FromSeconds(15),
            () => $"reader: {string.Join(",", reader.View.HoldersOf("a"))}; writer: {string.Join(",", writer.View.HoldersOf("a"))}");
        var exists = await redis.CliAsync("exists", $"{{{prefix}}}:holds:silent", $"{{{prefix}}}:load:silent");
        Assert.Equal("0", exists.Stdout.Trim());
        Assert.False((await reader.Store.GetSnapshotAsync(CancellationToken.None)).Holdings.ContainsKey("silent"));
    }

    [Fact]
    public async Task Writes_while_redis_is_down_return_promptly_and_reach_redis_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = StoreClient.NewPrefix();
        await using var writer = await StoreClient.Redis(redis.ConnectionString, prefix).StartAsync();
        await writer.Store.UpdateHoldingsAsync("v1", ["old"], [], CancellationToken.None);

        await redis.KillAsync();
        await Eventually.HoldsAsync(() => !writer.Health.IsConnected, TimeSpan.FromSeconds(10), writer.Health.Describe);

        // Each write gives up on Redis within the operation timeout (1 s here) and is buffered, in order.
        Func<Task>[] writes =
        [
            () => writer.Store.ReplaceHoldingsAsync("v1", ["a", "b"], CancellationToken.None).AsTask(),
            () => writer.Store.UpdateHoldingsAsync("v1", ["c"], ["a"], CancellationToken.None).AsTask(),
            () => writer.Store.ReportLoadAsync("v1", Load, CancellationToken.None).AsTask(),
            () => writer.Store.UpdateHoldingsAsync("v2", ["x"], [], CancellationToken.None).AsTask(),
            () => writer.Store.RemoveVolunteerAsync("v2", CancellationToken.None).AsTask(),
        ];
        foreach (var write in writes)
        {
            await write().WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.True(writer.Health.PendingWrites > 0, writer.Health.Describe());

        await redis.RestartAsync();
        await using var reader = StoreClient.Redis(redis.ConnectionString, prefix);
        HoldingsSnapshot? seen = null;
        await Eventually.HoldsAsync(
            async () => (seen = await TrySnapshotAsync(reader.Store)) is { } s && s.Holdings.TryGetValue("v1", out var held) && held.Order().SequenceEqual(["b", "c"]) && s.Loads.ContainsKey("v1"),
            TimeSpan.FromSeconds(20),
            () => seen is null ? "no snapshot" : string.Join(";", seen.Holdings.Select(p => $"{p.Key}={string.Join(",", p.Value)}")));
        Assert.False(seen!.Holdings.ContainsKey("v2"));
        await Eventually.HoldsAsync(() => writer.Health.PendingWrites == 0 && writer.Health.IsConnected, TimeSpan.FromSeconds(10), writer.Health.Describe);
    }

    [Fact]
    public async Task A_view_serves_its_last_state_while_redis_is_down_then_ages_out_and_rebuilds_when_redis_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        var prefix = StoreClient.NewPrefix();
        await using var writer = StoreClient.Redis(redis.ConnectionString, prefix);
        await using var reader = await StoreClient.Redis(redis.ConnectionString, prefix, ("Store:ReconcileInterval", "00:00:00.5"), ("Store:ViewMaxAge", "00:00:03")).StartAsync();
        await writer.Store.UpdateHoldingsAsync("v1", ["a"], [], CancellationToken.None);
        await Eventually.HoldsAsync(() => reader.View.HoldersOf("a") is ["v1"], TimeSpan.FromSeconds(10), () => "the view never saw v1");

        await redis.KillAsync();
        await Eventually.HoldsAsync(() => !reader.Health.IsConnected && !reader.Health.IsFollowing, TimeSpan.FromSeconds(10), reader.Health.Describe);
        Assert.Equal(["v1"], reader.View.HoldersOf("a"));
        await Eventually.HoldsAsync(() => reader.View.HoldersOf("a").Length == 0, TimeSpan.FromSeconds(20), reader.Health.Describe);

        // Redis comes back empty; the next announce rebuilds the state and the view follows it again.
        await redis.RestartAsync();
        await Eventually.HoldsAsync(
            async () =>
            {
                await writer.Store.UpdateHoldingsAsync("v1", ["a"], [], CancellationToken.None);
                return reader.View.HoldersOf("a") is ["v1"] && reader.Health.IsFollowing;
            },
            TimeSpan.FromSeconds(20),
            reader.Health.Describe);
    }

    private static async Task<HoldingsSnapshot?> TrySnapshotAsync(IHoldingsStore store)
    {
        try
        {
            return await store.GetSnapshotAsync(CancellationToken.None);
        }
        catch (Exception ex) when (StoreResilience.IsStoreFailure(ex))
        {
            return null;
        }
    }
}
