using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Differential;

/// <summary>
/// Apache's error answers against the gateway run from import-apache's output as it is (Proxy:ErrorSemantics=Apache):
/// a member's 503 with and without failonstatus, a member that refuses connections (with the default maxattempts and
/// with maxattempts=0), one that closes the connection without answering, and one that stays silent past its timeout
/// (with and without failontimeout). Each request is recorded as the member
/// that served it, or its status and, when a member's own answer came through, that member.
/// </summary>
public sealed class ApacheErrorDifferentialTests
{
    [Fact]
    public async Task A_members_503_reaches_the_client_and_the_member_keeps_its_turn_without_failonstatus()
    {
        var apache = await SameAsApacheAsync("lbmethod=byrequests", ["loadfactor=1", "loadfactor=1", "loadfactor=1"], Behave(VolunteerBehavior.Fail503), 12);
        Assert.Equal(4, apache.Count(r => r == "503:m1"));
    }

    [Fact]
    public async Task With_failonstatus_the_first_503_still_reaches_the_client_and_the_member_sits_out_its_retry()
    {
        var apache = await SameAsApacheAsync("lbmethod=byrequests failonstatus=503", ["loadfactor=1", "loadfactor=1 retry=60", "loadfactor=2"], Behave(VolunteerBehavior.Fail503), 12);
        Assert.Equal(1, apache.Count(r => r == "503:m1"));
    }

    [Fact]
    public async Task A_refused_connection_fails_over_and_with_maxattempts_0_is_answered_503_never_by_another_source()
    {
        var apache = await SameAsApacheAsync("lbmethod=byrequests", ["loadfactor=1", "loadfactor=1", "loadfactor=1"], m => m.StopAsync(), 9);
        Assert.All(apache, r => Assert.True(r is "m0" or "m2", string.Join(' ', apache)));

        apache = await SameAsApacheAsync("lbmethod=byrequests maxattempts=0", ["loadfactor=1", "loadfactor=1", "loadfactor=1"], m => m.StopAsync(), 9);
        Assert.Equal("503", apache[1]);
    }

    [Fact]
    public async Task A_member_that_closes_without_answering_gives_502_and_stays_in_service()
    {
        var apache = await SameAsApacheAsync("lbmethod=byrequests", ["loadfactor=1", "loadfactor=1"], Behave(VolunteerBehavior.Abort), 8);
        Assert.Equal(4, apache.Count(r => r == "502"));
    }

    [Theory]
    [InlineData("lbmethod=byrequests", 3)]
    [InlineData("lbmethod=byrequests failontimeout=On", 1)]
    public async Task A_member_silent_past_its_timeout_gives_502_and_is_taken_out_only_with_failontimeout(string balancer, int silences)
    {
        var apache = await SameAsApacheAsync(balancer, ["loadfactor=1", "loadfactor=1 timeout=1 retry=60"], Behave(VolunteerBehavior.Hang), 6);
        Assert.Equal(silences, apache.Count(r => r == "502"));
    }

    private static Func<TestVolunteer, Task> Behave(VolunteerBehavior behavior) => member =>
    {
        member.Behavior = behavior;
        return Task.CompletedTask;
    };

    /// <summary>
    /// Starts the rig, breaks member m1, sends <paramref name="count"/> requests through Apache and then through the
    /// gateway, asserts that both traces are the same and returns Apache's.
    /// </summary>
    private static async Task<string[]> SameAsApacheAsync(string balancer, string[] members, Func<TestVolunteer, Task> breakMember, int count)
    {
        await using var rig = await ApacheDifferentialRig.StartAsync(balancer, members);
        await breakMember(rig.Volunteers[1]);
        var apache = await TraceAsync(rig, rig.Apache.BaseUrl, count);
        var gateway = await TraceAsync(rig, new Uri(rig.Gateway.Url + "/"), count);
        Assert.Equal(string.Join(' ', apache), string.Join(' ', gateway));
        return apache;
    }

    /// <summary>
    /// Sequential requests, each on a connection of its own (httpd closes a kept-alive client connection instead of
    /// answering 502 when a member closes without answering; see docs/apache-compatibility.md).
    /// </summary>
    private static async Task<string[]> TraceAsync(ApacheDifferentialRig rig, Uri target, int count)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var trace = new string[count];
        for (var n = 0; n < count; n++)
        {
            var before = rig.Volunteers.Select(v => v.Hits.Count).ToArray();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target, ApacheDifferentialRig.File));
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var hit = Enumerable.Range(0, rig.Volunteers.Count).Where(i => rig.Volunteers[i].Hits.Count > before[i]).Select(i => $"m{i}").ToList();
            var status = (int)response.StatusCode;
            trace[n] = status == 200 ? string.Join('+', hit.Where(m => rig.Volunteers[int.Parse(m[1..], System.Globalization.CultureInfo.InvariantCulture)].Behavior == VolunteerBehavior.Serve))
                : body.Contains("volunteer broken", StringComparison.Ordinal) ? $"{status}:{hit.LastOrDefault()}"
                : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return trace;
    }
}
