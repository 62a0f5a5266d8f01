using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Differential;

/// <summary>Tests that must not share the machine's CPU with parallel tests (heartbeats judged by the wall clock).</summary>
[CollectionDefinition(nameof(WallClockHeartbeats), DisableParallelization = true)]
public sealed class WallClockHeartbeats;

/// <summary>
/// Apache's heartbeat lbmethod against the gateway's: each member listens on its own 127.0.0.x (mod_heartmonitor
/// and mod_lbmethod_heartbeat know a server by address only) and sends the same heartbeat, from that address, to
/// Apache's heartbeat handler (<c>SetHandler heartbeat</c>, stored in logs/hb.dat) and to the gateway's endpoint
/// (without ?id=, so the gateway too finds the member by the sender's address).
/// </summary>
/// <remarks>
/// Runs alone: Apache judges heartbeats stale by the wall clock, so a heartbeat sender starved of CPU by
/// parallel tests makes Apache's own shares drift from its arithmetic (seen under full-suite load).
/// </remarks>
[Collection(nameof(WallClockHeartbeats))]
public sealed class HeartbeatDifferentialTests(ITestOutputHelper output)
{
    // mod_heartmonitor answers on its HTTP handler only while HeartbeatListen is set (its multicast listener).
    private static readonly string ApacheHeartbeat = $"""
        LoadModule heartmonitor_module {ApacheHttpd.Modules}/mod_heartmonitor.so
        HeartbeatListen 239.0.0.1:{FreeUdpPort()}
        LoadModule lbmethod_heartbeat_module {ApacheHttpd.Modules}/mod_lbmethod_heartbeat.so
        <Location "/hb">
            SetHandler heartbeat
        </Location>
        ProxyPass "/hb" "!"
        """;

    [Fact]
    public async Task Heartbeat_shares_match_apache_by_chi_square_and_stale_or_silent_members_get_nothing_in_either()
    {
        // m2 reports no busy slot, so both count a quarter of its 40 (Apache's warm-up); m3 never sends a heartbeat.
        (int Ready, int Busy)?[] beats = [(10, 2), (30, 5), (40, 0), null];
        await using var rig = await ApacheDifferentialRig.StartAsync(
            "lbmethod=heartbeat", ["loadfactor=1", "loadfactor=1", "loadfactor=1", "loadfactor=1"], ownAddresses: true, ApacheHeartbeat);

        using var beating = new CancellationTokenSource();
        var firstRound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = SendHeartbeatsAsync(rig, beats, firstRound, beating.Token);

        // Every member's first heartbeat must have reached both before counting: requests made while only m0 had
        // reported would all go to m0 (a race that made Apache look off its own arithmetic).
        await firstRound.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync(
            async () => await rig.OneAsync(rig.Apache.BaseUrl) is "m0" or "m1" or "m2",
            TimeSpan.FromSeconds(20),
            () => $"Apache does not balance on the heartbeats; error.log: {rig.Apache.ErrorLog()}");

        const int requests = 300;
        var apache = await rig.ThroughApacheAsync(requests);
        var gateway = await rig.ThroughGatewayAsync(requests);

        // Staleness: m1 stops beating; both drop it once its last heartbeat is 10 s old (sent at most 2 s
        // before it fell silent), checked side by side with 20 requests each (m1 would miss all 20 while
        // still counted with odds of about 1 in 50 million).
        var silentSince = System.Diagnostics.Stopwatch.StartNew();
        beats[1] = null;
        TimeSpan? apacheDropped = null, gatewayDropped = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                apacheDropped ??= (await rig.SequenceAsync(rig.Apache.BaseUrl, 20)).Contains("m1") ? null : silentSince.Elapsed;
                gatewayDropped ??= (await rig.SequenceAsync(new Uri(rig.Gateway.Url + "/"), 20)).Contains("m1") ? null : silentSince.Elapsed;
                return apacheDropped is not null && gatewayDropped is not null;
            },
            TimeSpan.FromSeconds(30),
            () => $"m1 still served {silentSince.Elapsed} after its last heartbeat: Apache dropped it at {apacheDropped}, gateway at {gatewayDropped}");
        await beating.CancelAsync();
        await sender;
        output.WriteLine($"m1 dropped after it fell silent: Apache {apacheDropped}, gateway {gatewayDropped}");
        Assert.True(apacheDropped >= TimeSpan.FromSeconds(8) && gatewayDropped >= TimeSpan.FromSeconds(8), $"dropped before its heartbeat was 10 s old: Apache {apacheDropped}, gateway {gatewayDropped}");

        // Apache's arithmetic for ready 10, 30, 40/4 = 10: a draw in [0, 50], boundaries to the later member.
        double[] expected = [10 / 51.0, 30 / 51.0, 11 / 51.0];
        string[] names = ["m0", "m1", "m2"];
        var a = names.Select(m => apache.Count(s => s == m)).ToArray();
        var g = names.Select(m => gateway.Count(s => s == m)).ToArray();
        var report = $"Apache {string.Join('/', a)}, gateway {string.Join('/', g)} of {requests}";
        output.WriteLine(report);
        output.WriteLine(rig.Apache.ErrorLog());
        Assert.True(a.Sum() == requests && g.Sum() == requests, $"every request is served by a member with a heartbeat: {report}; Apache {string.Join(' ', apache.Distinct())}, gateway {string.Join(' ', gateway.Distinct())}");

        // Chi-square with 2 degrees of freedom: 13.82 is the 0.1% critical value, so a correct
        // implementation fails this check once in a thousand runs; a one-slot shift of the warm-up or a
        // share taken from m3 moves the statistic far beyond it at 300 requests.
        const double critical = 13.82;
        Assert.True(GoodnessOfFit(a, expected) < critical, $"Apache against its own arithmetic: χ² {GoodnessOfFit(a, expected):F2}; {report}");
        Assert.True(GoodnessOfFit(g, expected) < critical, $"gateway against Apache's arithmetic: χ² {GoodnessOfFit(g, expected):F2}; {report}");
        Assert.True(Homogeneity(a, g) < critical, $"Apache and gateway differ: χ² {Homogeneity(a, g):F2}; {report}");
    }

    private static async Task SendHeartbeatsAsync(ApacheDifferentialRig rig, (int Ready, int Busy)?[] beats, TaskCompletionSource firstRound, CancellationToken cancel)
    {
        var clients = rig.Volunteers.Select(v => BoundClient(v.Address)).ToArray();
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                for (var i = 0; i < beats.Length; i++)
                {
                    if (beats[i] is not { } beat)
                    {
                        continue;
                    }

                    var body = $"v=1&ready={beat.Ready}&busy={beat.Busy}";
                    await PostAsync(clients[i], new Uri(rig.Apache.BaseUrl, "hb"), body);
                    await PostAsync(clients[i], new Uri(rig.Gateway.Url + "/heartbeat"), body);
                }

                firstRound.TrySetResult();

                // Apache and the gateway both drop a heartbeat after 10 s: every 2 s keeps all of them fresh.
                await Task.Delay(TimeSpan.FromSeconds(2), cancel).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            // A failed first round ends the test's wait at once (its error surfaces when the sender is awaited).
            firstRound.TrySetCanceled(CancellationToken.None);
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task PostAsync(HttpClient client, Uri url, string body)
    {
        using var content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await client.PostAsync(url, content);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A client whose connections leave from <paramref name="address"/>, as a heartbeat from that member would.</summary>
    private static HttpClient BoundClient(IPAddress address) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(address, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static double GoodnessOfFit(int[] observed, double[] expected)
    {
        var total = observed.Sum();
        return observed.Select((o, i) => Math.Pow(o - (total * expected[i]), 2) / (total * expected[i])).Sum();
    }

    private static double Homogeneity(int[] first, int[] second)
    {
        var (n1, n2) = (first.Sum(), second.Sum());
        var statistic = 0.0;
        for (var i = 0; i < first.Length; i++)
        {
            var column = first[i] + second[i];
            var e1 = (double)column * n1 / (n1 + n2);
            var e2 = (double)column * n2 / (n1 + n2);
            statistic += (Math.Pow(first[i] - e1, 2) / e1) + (Math.Pow(second[i] - e2, 2) / e2);
        }

        return statistic;
    }
}
