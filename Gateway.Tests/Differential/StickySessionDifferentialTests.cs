namespace Gateway.Tests.Differential;

/// <summary>
/// Apache's sticky sessions (<c>stickysession</c>, member <c>route</c>, <c>redirect</c>, <c>nofailover</c>) against
/// the gateway configured by import-apache: the same requests, with route cookies and URL parameters, through each.
/// </summary>
public sealed class StickySessionDifferentialTests
{
    // Cookie and URL parameter values: routes r0..r2, an unknown route, a value without a route, none at all.
    private static readonly (string Query, string? Cookie)[] Requests =
    [
        ("", "ROUTEID=abc.r1"), ("", null), ("", "other=1; ROUTEID=xyz.r2"), ("?ROUTEID=s.r0", null), ("", "ROUTEID=z.r9"),
        ("", "ROUTEID=noroute"), ("", "ROUTEID=abc.r1"), ("", null), ("", null), ("?x=1&ROUTEID=q.r2", "ROUTEID=abc.r1"),
        ("", "ROUTEID=a.b.r1"), ("", null), ("", "ROUTEID=abc.r1"), ("", "ROUTEID=abc.r1"), ("", null), ("", null),
    ];

    [Fact]
    public async Task Routed_requests_go_to_the_same_members_and_leave_the_same_byrequests_sequence_as_in_apache()
    {
        await using var rig = await ApacheDifferentialRig.StartAsync(
            "lbmethod=byrequests stickysession=ROUTEID", "route=r0", "route=r1 loadfactor=2", "route=r2 loadfactor=3");
        var apache = await SendAsync(rig, rig.Apache.BaseUrl);
        var gateway = await SendAsync(rig, new Uri(rig.Gateway.Url + "/"));
        Assert.Equal("m1", apache[0]);
        Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
    }

    [Fact]
    public async Task A_routed_member_that_is_down_fails_over_or_is_refused_with_nofailover_or_hands_over_to_its_redirect_as_in_apache()
    {
        await using (var rig = await ApacheDifferentialRig.StartAsync("lbmethod=byrequests stickysession=ROUTEID", "route=r0", "route=r1", "route=r2"))
        {
            await rig.Volunteers[1].StopAsync();
            var apache = await SendAsync(rig, rig.Apache.BaseUrl);
            var gateway = await SendAsync(rig, new Uri(rig.Gateway.Url + "/"));
            Assert.DoesNotContain("m1", apache);
            Assert.DoesNotContain("-", apache);
            Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
        }

        await using (var rig = await ApacheDifferentialRig.StartAsync("lbmethod=byrequests stickysession=ROUTEID nofailover=On", "route=r0", "route=r1", "route=r2"))
        {
            await rig.Volunteers[1].StopAsync();
            var apache = await SendAsync(rig, rig.Apache.BaseUrl);
            var gateway = await SendAsync(rig, new Uri(rig.Gateway.Url + "/"));
            Assert.Equal("-", apache[0]);
            Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
        }

        await using (var rig = await ApacheDifferentialRig.StartAsync("lbmethod=byrequests stickysession=ROUTEID", "route=r0", "route=r1 redirect=r2", "route=r2"))
        {
            await rig.Volunteers[1].StopAsync();
            var apache = await SendAsync(rig, rig.Apache.BaseUrl);
            var gateway = await SendAsync(rig, new Uri(rig.Gateway.Url + "/"));
            Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
        }
    }

    private static async Task<string[]> SendAsync(ApacheDifferentialRig rig, Uri target)
    {
        var served = new string[Requests.Length];
        for (var i = 0; i < Requests.Length; i++)
        {
            served[i] = await rig.OneAsync(target, Requests[i].Query, Requests[i].Cookie);
        }

        return served;
    }
}
