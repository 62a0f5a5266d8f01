using System.Net;
using System.Text;
using Gateway.Tests.EndToEnd;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Selection;

public sealed class HeartbeatEndpointTests
{
    [Fact]
    public async Task Volunteers_posting_apache_heartbeats_are_chosen_by_the_heartbeat_lbmethod_and_silent_ones_are_not()
    {
        await using var s = await DownloadScenario.StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Policy=heartbeat", "--Selection:Seed=5");
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            await s.Gateway.HoldAsync(id, Big);
        }

        Assert.Equal(HttpStatusCode.OK, (await BeatAsync(s, "v1", "v=1&ready=30&busy=2")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await BeatAsync(s, "v3", "v=1&ready=10&busy=1")).StatusCode);
        var bad = await BeatAsync(s, "v2", "ready=lots");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("v=1&ready=N&busy=N", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await BeatAsync(s, "nobody", "v=1&ready=1&busy=1")).StatusCode);

        var ports = new List<int>();
        for (var i = 0; i < 80; i++)
        {
            using var response = await s.Gateway.Client.GetAsync(Big);
            ports.Add(response.Headers.Location!.Port);
        }

        Assert.DoesNotContain(s.Gateway["v2"].Port, ports);
        var v1 = ports.Count(p => p == s.Gateway["v1"].Port);
        Assert.True(v1 is > 45 and < 75, $"v1 (30 ready of 40) served {v1} of 80");
    }

    private static Task<HttpResponseMessage> BeatAsync(DownloadScenario s, string id, string body) =>
        s.Gateway.Client.PostAsync($"/heartbeat?id={id}", new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"));
}
