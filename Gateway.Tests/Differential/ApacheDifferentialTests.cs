using System.Diagnostics;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Differential;

/// <summary>
/// The gateway against a real Apache httpd 2.4 balancer with the same members (configured in Apache and
/// imported with import-apache): the same sequential requests through each, member by member.
/// </summary>
public sealed class ApacheDifferentialTests
{
    [Theory]
    [InlineData("loadfactor=1", "loadfactor=2", "loadfactor=5")]
    [InlineData("loadfactor=1.5", "loadfactor=1", "loadfactor=2.5", "loadfactor=4")]
    [InlineData("loadfactor=3", "loadfactor=1 status=+D", "loadfactor=2", "loadfactor=1 status=+H")]
    public async Task Byrequests_serves_the_same_member_sequence_as_apache(params string[] members)
    {
        await using var rig = await ApacheDifferentialRig.StartAsync("lbmethod=byrequests", members);
        var apache = await rig.ThroughApacheAsync(48);
        var gateway = await rig.ThroughGatewayAsync(48);
        Assert.DoesNotContain("-", apache);
        Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
    }

    [Fact]
    public async Task Bybusyness_with_one_request_at_a_time_serves_the_same_sequence_as_apache()
    {
        // With nothing in flight every member is equally busy, so byrequests' lbstatus decides in both.
        await using var rig = await ApacheDifferentialRig.StartAsync("lbmethod=bybusyness", "loadfactor=1", "loadfactor=3", "loadfactor=2");
        var apache = await rig.ThroughApacheAsync(36);
        var gateway = await rig.ThroughGatewayAsync(36);
        Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
    }

    [Fact]
    public async Task Bytraffic_shares_match_apache_within_five_percentage_points()
    {
        // Apache counts header bytes too, so the byte totals (and the exact order) differ slightly; the
        // shares of equal-sized downloads must still follow the load factors in both.
        await using var rig = await ApacheDifferentialRig.StartAsync("lbmethod=bytraffic", "loadfactor=1", "loadfactor=3");
        const int requests = 80;
        var apache = await rig.ThroughApacheAsync(requests);
        var gateway = await rig.ThroughGatewayAsync(requests);
        foreach (var member in new[] { "m0", "m1" })
        {
            var a = apache.Count(m => m == member) / (double)requests;
            var g = gateway.Count(m => m == member) / (double)requests;
            Assert.True(Math.Abs(a - g) <= 0.05, $"{member}: Apache {a:P0}, gateway {g:P0}; Apache {string.Join(' ', apache)}; gateway {string.Join(' ', gateway)}");
        }
    }

    [Fact]
    public async Task Two_lbsets_and_a_hot_standby_fail_over_and_recover_after_retry_as_in_apache()
    {
        const int retrySeconds = 4;
        await using var rig = await ApacheDifferentialRig.StartAsync(
            "lbmethod=byrequests maxattempts=5",
            $"loadfactor=1 retry={retrySeconds}",
            $"loadfactor=2 retry={retrySeconds}",
            $"status=+H retry={retrySeconds}",
            $"lbset=1 retry={retrySeconds}",
            $"lbset=1 loadfactor=2 retry={retrySeconds}");
        var apache = await PhasesAsync(rig, rig.Apache.BaseUrl, retrySeconds);
        await rig.Volunteers[2].RestartAsync();
        var gateway = await PhasesAsync(rig, new Uri(rig.Gateway.Url + "/"), retrySeconds);

        Assert.Equal(apache.AllUp, gateway.AllUp);
        Assert.All(apache.AllUp.Concat(gateway.AllUp), m => Assert.True(m is "m0" or "m1", $"lbset 0 serves while up; saw {m}"));
        Assert.Equal(["m2"], apache.FirstSetDown.Distinct());
        Assert.Equal(["m2"], gateway.FirstSetDown.Distinct());
        Assert.Equal(apache.StandbyDown, gateway.StandbyDown);
        Assert.Equal(["m3", "m4"], gateway.StandbyDown.Distinct().Order());
        Assert.True(apache.Returned && gateway.Returned, $"lbset 0 did not return after retry: Apache {apache.Returned}, gateway {gateway.Returned}");
        Assert.True(apache.EarlyOk && gateway.EarlyOk, $"a member in error served before its retry interval: Apache {apache.EarlyOk}, gateway {gateway.EarlyOk}");
    }

    private static async Task<Phases> PhasesAsync(ApacheDifferentialRig rig, Uri target, int retrySeconds)
    {
        var allUp = await rig.SequenceAsync(target, 12);
        await rig.Volunteers[0].StopAsync();
        await rig.Volunteers[1].StopAsync();
        var failedAt = Stopwatch.StartNew();
        var firstSetDown = await rig.SequenceAsync(target, 6);
        await rig.Volunteers[2].StopAsync();
        var standbyDown = await rig.SequenceAsync(target, 6);
        await rig.Volunteers[0].RestartAsync();
        await rig.Volunteers[1].RestartAsync();

        // Within the retry interval the members in error stay out even though they are back.
        var early = await rig.OneAsync(target);
        var earlyOk = failedAt.Elapsed >= TimeSpan.FromSeconds(retrySeconds - 1) || early is "m3" or "m4";
        var returned = false;
        await Eventually.HoldsAsync(
            async () => returned = await rig.OneAsync(target) is "m0" or "m1",
            TimeSpan.FromSeconds(retrySeconds + 15),
            () => "lbset 0 never served again");
        return new Phases(allUp, firstSetDown, standbyDown, earlyOk, returned);
    }

    private sealed record Phases(string[] AllUp, string[] FirstSetDown, string[] StandbyDown, bool EarlyOk, bool Returned);
}
