using System.Collections.Concurrent;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Differential;

/// <summary>
/// bybusyness under real concurrency against httpd: one slow member among fast ones, the same concurrent load
/// through each; the slow member's share (it stays busy, so it is picked less) must match Apache's.
/// </summary>
public sealed class BusynessDifferentialTests
{
    private const int Clients = 6;
    private const int Requests = 60;

    [Fact]
    public async Task A_slow_member_gets_apaches_share_under_concurrent_load()
    {
        await using var rig = await ApacheDifferentialRig.StartAsync("lbmethod=bybusyness", "loadfactor=1", "loadfactor=1", "loadfactor=1");
        rig.Volunteers[0].SlowDelay = TimeSpan.FromMilliseconds(400);
        rig.Volunteers[0].Behavior = VolunteerBehavior.Slow;
        var apache = await ShareOfSlowAsync(rig, rig.Apache.BaseUrl);
        var gateway = await ShareOfSlowAsync(rig, new Uri(rig.Gateway.Url + "/"));

        // Evenly spread, the slow member would take a third; busy, it takes far less in both.
        Assert.True(apache < 0.25, $"Apache gave the slow member {apache:P0}");
        Assert.True(Math.Abs(apache - gateway) <= 0.1, $"slow member's share: Apache {apache:P0}, gateway {gateway:P0}");
    }

    private static async Task<double> ShareOfSlowAsync(ApacheDifferentialRig rig, Uri target)
    {
        var before = rig.Volunteers.Select(v => v.Hits.Count).ToArray();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var work = new ConcurrentQueue<int>(Enumerable.Range(0, Requests));
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            while (work.TryDequeue(out _))
            {
                using var response = await client.GetAsync(new Uri(target, ApacheDifferentialRig.File));
                response.EnsureSuccessStatusCode();
            }
        }));
        var hits = rig.Volunteers.Select((v, i) => v.Hits.Count - before[i]).ToArray();
        Assert.Equal(Requests, hits.Sum());
        return hits[0] / (double)Requests;
    }
}
