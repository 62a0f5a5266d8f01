using System.Net;
using Gateway.Delivery.Quarantine;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>Two proxy-mode gateways on one real redis-server: a tamperer caught by one is banned by both, and an operator's clear on either frees it on both.</summary>
public sealed class SharedQuarantineTests : IAsyncLifetime
{
    private const string Big = DownloadScenario.Big;
    private readonly string _prefix = StoreClient.NewPrefix();
    private TestRepository _repository = null!;
    private SharedRedisBed _bed = null!;
    private RedisServer _redis = null!;
    private List<TestVolunteer> _volunteers = [];
    private GatewayUnderTest? _a;
    private GatewayUnderTest? _b;

    public async Task InitializeAsync()
    {
        _bed = await SharedRedisBed.StartAsync(Big, 64 * 1024);
        _repository = _bed.Repository;
        _redis = _bed.Redis;
        _volunteers = _bed.Volunteers;
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync(_a, _b);

    [Fact]
    public async Task A_tamperer_caught_by_one_gateway_is_quarantined_on_both_survives_a_flushall_and_a_clear_on_either_frees_it_on_both()
    {
        string[] shared =
        [
            "--Store:Kind=Redis", $"--Store:Redis={_redis.ConnectionString}", $"--Store:KeyPrefix={_prefix}",
            "--Verify:QuarantineSyncInterval=00:00:00.1", "--Gateway:Mode=Proxy", "--Gateway:SmallFileThreshold=0",
            "--Health:PassiveEnabled=false", "--Volunteers:0:Inventory=all", "--Volunteers:1:Inventory=all",
        ];
        _a = await GatewayUnderTest.StartAsync(_repository, _volunteers, shared);
        _b = await GatewayUnderTest.StartAsync(_repository, _volunteers, shared);
        var onA = _a.App.Services.GetRequiredService<QuarantineList>();
        var onB = _b.App.Services.GetRequiredService<QuarantineList>();
        _volunteers[0].Behavior = VolunteerBehavior.FlipByte;

        // Only gateway A serves customers until it catches v1.
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await _a.Client.GetAsync(Big);
                Assert.Equal(_repository.Read(Big), await response.Content.ReadAsByteArrayAsync());
                return onA.Contains("v1");
            },
            TimeSpan.FromSeconds(20), () => "gateway A never caught the tamperer");
        await Eventually.HoldsAsync(() => onB.Contains("v1"), TimeSpan.FromSeconds(10), () => "gateway B did not learn of the quarantine");
        Assert.Equal("gateway", onB.Find("v1")!.Source);

        // Redis loses the shared list (an operator's FLUSHALL): neither gateway reads that as "cleared" for a moment,
        // and they write it back.
        Assert.Equal("OK", (await _redis.CliAsync("FLUSHALL")).Stdout.Trim());
        await Eventually.HoldsAsync(
            async () =>
            {
                Assert.True(onA.Contains("v1") && onB.Contains("v1"), "a gateway read the list Redis lost as cleared");
                return (await _redis.CliAsync("HEXISTS", $"{{{_prefix}}}:quarantine", "v1")).Stdout.Trim() == "1";
            },
            TimeSpan.FromSeconds(10), () => "the quarantine was not written back to Redis");

        var hits = _volunteers[0].HitCount;
        for (var i = 0; i < 10; i++)
        {
            using var response = await _b.Client.GetAsync(Big);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(hits, _volunteers[0].HitCount);

        // An operator clears it on B (say, after fixing the volunteer): A follows.
        _volunteers[0].Behavior = VolunteerBehavior.Serve;
        Assert.True(onB.Clear("v1"));
        await Eventually.HoldsAsync(() => !onA.Contains("v1"), TimeSpan.FromSeconds(10), () => "gateway A still holds v1 after the clear on B");
    }
}
