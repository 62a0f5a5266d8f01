using System.Diagnostics;
using Gateway.Tests.Infrastructure;
using Yarp.ReverseProxy.Model;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class HealthTests : IAsyncLifetime
{
    private static readonly TimeSpan HealthInterval = TimeSpan.FromMilliseconds(500);
    private DownloadScenario _s = null!;

    public async Task InitializeAsync() => _s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Health:ActiveEnabled=true");

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task A_volunteer_that_stops_answering_is_skipped_within_one_health_interval_and_returns_after_recovering()
    {
        await _s.Gateway.HoldAsync("v1", Big);
        await _s.Gateway.HoldAsync("v2", Big);
        await Eventually.HoldsAsync(() => _s.Gateway.ActiveHealth("v1") == DestinationHealth.Healthy, TimeSpan.FromSeconds(5), () => _s.Gateway.ActiveHealth("v1").ToString());

        var stopped = Stopwatch.StartNew();
        await _s.Gateway["v1"].StopAsync();

        // One interval until the next probe, plus the probe's own timeout (a refused connection fails at once).
        await Eventually.HoldsAsync(() => _s.Gateway.ActiveHealth("v1") == DestinationHealth.Unhealthy, HealthInterval * 2 + TimeSpan.FromSeconds(1), () => _s.Gateway.ActiveHealth("v1").ToString());
        Assert.True(stopped.Elapsed < HealthInterval * 2 + TimeSpan.FromSeconds(1), $"marked down after {stopped.Elapsed}");
        for (var i = 0; i < 30; i++)
        {
            using var response = await _s.Gateway.Client.GetAsync(Big);
            Assert.Equal(_s.Gateway["v2"].Port, response.Headers.Location!.Port);
        }

        await _s.Gateway["v1"].RestartAsync();
        await Eventually.HoldsAsync(() => _s.Gateway.ActiveHealth("v1") == DestinationHealth.Healthy, HealthInterval * 2 + TimeSpan.FromSeconds(1), () => _s.Gateway.ActiveHealth("v1").ToString());
        var backOnV1 = 0;
        for (var i = 0; i < 30; i++)
        {
            using var response = await _s.Gateway.Client.GetAsync(Big);
            backOnV1 += response.Headers.Location!.Port == _s.Gateway["v1"].Port ? 1 : 0;
        }

        Assert.True(backOnV1 > 0, "the recovered volunteer received no customers");
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Passive_checks_take_a_volunteer_that_fails_real_requests_out_in_both_proxy_paths(string verify)
    {
        await using var s = await StartAsync(
            "--Gateway:Mode=Proxy", $"--Verify:Proxy={verify}", "--Selection:Seed=3", "--Health:PassiveEnabled=true", "--Health:ReactivationPeriod=00:01:00");
        var expected = await AbortingV1IsMarkedDownAsync(s);
        var hitsWhenMarked = s.Gateway["v1"].HitCount;
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(expected, await s.Gateway.Client.GetByteArrayAsync(Big));
        }

        Assert.Equal(hitsWhenMarked, s.Gateway["v1"].HitCount);
    }

    [Fact]
    public async Task A_volunteer_marked_down_by_passive_checks_receives_customers_again_after_the_reactivation_period()
    {
        await using var s = await StartAsync(
            "--Gateway:Mode=Proxy", "--Selection:Seed=3", "--Health:PassiveEnabled=true", "--Health:ReactivationPeriod=00:00:02");
        var expected = await AbortingV1IsMarkedDownAsync(s);

        // Repaired. Its old failures must not keep it out once the reactivation period has passed: the failure
        // rate is judged over a window no longer than that period.
        s.Gateway["v1"].Behavior = VolunteerBehavior.Serve;
        var hitsWhenRepaired = s.Gateway["v1"].HitCount;
        await Eventually.HoldsAsync(
            async () =>
            {
                Assert.Equal(expected, await s.Gateway.Client.GetByteArrayAsync(Big));
                return s.Gateway["v1"].HitCount > hitsWhenRepaired + 2 && s.Gateway.PassiveHealth("v1") != DestinationHealth.Unhealthy;
            },
            TimeSpan.FromSeconds(30),
            () => $"v1 passive health {s.Gateway.PassiveHealth("v1")}, hits {s.Gateway["v1"].HitCount - hitsWhenRepaired} since repaired");
    }

    [Fact]
    public async Task A_disabled_volunteer_receives_nothing_and_no_healthy_holder_means_the_origin()
    {
        await using var disabled = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Volunteers:0:Enabled=false");
        await disabled.Gateway.HoldAsync("v1", Big);
        using var response = await disabled.Gateway.Client.GetAsync(Big);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(disabled.Repository.Read(Big), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, disabled.Gateway["v1"].HitCount);
    }

    /// <summary>
    /// v1 and v2 hold <see cref="Big"/>; v1 drops every connection. Every customer request still completes
    /// (failover) while v1's failures feed YARP's transport failure rate, until it is marked down. Returns the file.
    /// </summary>
    private static async Task<byte[]> AbortingV1IsMarkedDownAsync(DownloadScenario s)
    {
        await s.Gateway.HoldAsync("v1", Big);
        await s.Gateway.HoldAsync("v2", Big);
        s.Gateway["v1"].Behavior = VolunteerBehavior.Abort;
        var expected = s.Repository.Read(Big);
        for (var i = 0; i < 40 && s.Gateway.PassiveHealth("v1") != DestinationHealth.Unhealthy; i++)
        {
            Assert.Equal(expected, await s.Gateway.Client.GetByteArrayAsync(Big));
        }

        Assert.Equal(DestinationHealth.Unhealthy, s.Gateway.PassiveHealth("v1"));
        return expected;
    }
}
