using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Gateway.Core.Catalog;
using Gateway.State;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Two real gateways and a tracker-side store client share one real redis-server: what the tracker writes
/// steers both gateways, and customers never see Redis fail.
/// </summary>
public sealed class SharedRedisTests : IAsyncLifetime
{
    private const string Big = DownloadScenario.Big;
    private TestRepository _repository = null!;
    private readonly string _prefix = StoreClient.NewPrefix();
    private SharedRedisBed _bed = null!;
    private RedisServer _redis = null!;
    private List<TestVolunteer> _volunteers = [];
    private GatewayUnderTest _a = null!;
    private GatewayUnderTest _b = null!;

    private IEnumerable<GatewayUnderTest> Gateways => [_a, _b];

    public async Task InitializeAsync()
    {
        _bed = await SharedRedisBed.StartAsync(Big);
        _repository = _bed.Repository;
        _redis = _bed.Redis;
        _volunteers = _bed.Volunteers;
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync(_a, _b);

    [Fact]
    public async Task A_load_report_written_to_redis_changes_both_gateways_choices_through_notifications()
    {
        // The reconcile is a minute away: only the pub/sub notification can move the gateways sooner.
        await StartGatewaysAsync("--Store:ReconcileInterval=00:01:00");
        await using var tracker = StoreClient.Redis(_redis.ConnectionString, _prefix);
        await HoldAsync(tracker.Store, "v1", "v2");
        await ReportAsync(tracker.Store, ("v1", 1000), ("v2", 0));
        await BothChooseAsync("v2");

        await ReportAsync(tracker.Store, ("v1", 0), ("v2", 1000));
        await BothChooseAsync("v1");
        foreach (var gateway in Gateways)
        {
            var health = gateway.App.Services.GetRequiredService<StoreHealth>();
            Assert.True(health.IsConnected && health.IsFollowing, health.Describe());
            Assert.True(health.LastChangeLag < TimeSpan.FromMinutes(1), health.Describe());
            var ready = await gateway.Client.GetStringAsync("/readyz");
            Assert.Contains("store redis connected, following", ready, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_volunteer_whose_record_expires_drops_out_of_both_gateways()
    {
        (string, string)[] shortLived = [("Store:VolunteerTtl", "00:00:02"), ("Store:SweepInterval", "00:00:00.2")];
        await StartGatewaysAsync("--Store:VolunteerTtl=00:00:02", "--Store:SweepInterval=00:00:00.2");
        await using var tracker = StoreClient.Redis(_redis.ConnectionString, _prefix, shortLived);
        await HoldAsync(tracker.Store, "v1", "v2");
        await ReportAsync(tracker.Store, ("v1", 0), ("v2", 1000));
        await BothChooseAsync("v1");

        // v1 stops announcing; v2 goes on. Once v1's record expires both gateways send everything to v2.
        await Eventually.HoldsAsync(
            async () =>
            {
                await ReportAsync(tracker.Store, ("v2", 1000));
                return Gateways.All(g => HoldersOfBig(g) is ["v2"]);
            },
            TimeSpan.FromSeconds(20),
            () => string.Join(" | ", Gateways.Select(g => string.Join(",", HoldersOfBig(g)))));
        await BothChooseAsync("v2");
    }

    [Fact]
    public async Task Customers_see_no_failure_while_redis_is_killed_and_restarted_and_the_gateways_follow_redis_again()
    {
        await StartGatewaysAsync();
        await using var tracker = StoreClient.Redis(_redis.ConnectionString, _prefix);
        await HoldAsync(tracker.Store, "v1", "v2");
        await ReportAsync(tracker.Store, ("v1", 1000), ("v2", 0));
        await BothChooseAsync("v2");

        // The tracker goes on announcing throughout, as volunteers do; its writes are buffered while Redis is
        // down, and its next announces rebuild what a restarted (empty) Redis lost.
        using var stop = new CancellationTokenSource();
        var loads = new[] { 1000, 0 };
        var announcing = AnnounceUntilAsync(tracker.Store, loads, stop.Token);

        // At least 2,000 requests, 8 at a time, alternating between the gateways: a quarter before the kill, a
        // quarter while Redis is down, the rest while it restarts (empty) and fills again. What counts is what the
        // origin served: with two healthy holders, none of it may go there, during the fault or after it.
        const int total = 2_000;
        using var load = CustomerLoad.Start([_a, _b], Big);
        await load.MoreAsync(total / 4);
        var originBefore = OriginRequests();
        await _redis.KillAsync();
        await load.MoreAsync(total / 4);
        await _redis.RestartAsync();
        await load.MoreAsync(total / 2);
        await load.StopAsync();
        Assert.True(load.Failures.IsEmpty, load.Describe());
        Assert.Equal(originBefore, OriginRequests());

        // Redis-fed again: the announces that follow reach both gateways.
        Volatile.Write(ref loads[0], 0);
        Volatile.Write(ref loads[1], 1000);
        await BothChooseAsync("v1");
        await stop.CancelAsync();
        await announcing;
        foreach (var gateway in Gateways)
        {
            var health = gateway.App.Services.GetRequiredService<StoreHealth>();
            await Eventually.HoldsAsync(() => health.IsConnected && health.IsFollowing, TimeSpan.FromSeconds(10), health.Describe);
        }
    }

    [Fact]
    public async Task A_gateway_started_while_redis_is_down_serves_from_the_origin_and_follows_redis_once_it_is_up()
    {
        await _redis.KillAsync();
        await StartGatewaysAsync();
        var health = _a.App.Services.GetRequiredService<StoreHealth>();
        Assert.Contains("store redis DISCONNECTED", await _a.Client.GetStringAsync("/readyz"), StringComparison.Ordinal);
        using (var response = await _a.Client.GetAsync(Big))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await _redis.RestartAsync();
        await using var tracker = StoreClient.Redis(_redis.ConnectionString, _prefix);
        await Eventually.HoldsAsync(
            async () =>
            {
                await HoldAsync(tracker.Store, "v1", "v2");
                await ReportAsync(tracker.Store, ("v1", 1000), ("v2", 0));
                return Gateways.All(g => HoldersOfBig(g).Length == 2);
            },
            TimeSpan.FromSeconds(20),
            health.Describe);
        await BothChooseAsync("v2");
    }

    [Fact]
    public async Task A_balancer_manager_edit_on_one_gateway_lives_in_redis_the_other_follows_and_it_survives_a_flushall_and_a_restart()
    {
        // No state file: the edits can only come back from Redis.
        string[] manager = [$"--BalancerManager:Credential={ManagerCredential}", "--BalancerManager:StateFile=", "--BalancerManager:SyncInterval=00:00:00.2"];
        await StartGatewaysAsync(manager);
        var edit = await EditAsync(_a, ("w", "v2"), ("lf", "2.5"), ("ls", "1"), ("status_D", "1"), ("wr", "r2"), ("rr", "r1"));
        Assert.True(edit.IsSuccessStatusCode, await edit.Content.ReadAsStringAsync());
        var method = await EditAsync(_a, ("lbmethod", "bybusyness"));
        Assert.True(method.IsSuccessStatusCode, await method.Content.ReadAsStringAsync());

        var expected = (2.5, 1, "+D", "bybusyness");
        var seen = default((double, int, string, string));
        await Eventually.HoldsAsync(async () => (seen = await ManagerStateAsync(_b, "v2")) == expected, TimeSpan.FromSeconds(10), () => $"gateway B shows {seen}");

        // B edits another member; A follows too (both ways, not only from the first writer).
        var other = await EditAsync(_b, ("w", "v1"), ("status_N", "1"));
        Assert.True(other.IsSuccessStatusCode, await other.Content.ReadAsStringAsync());
        await Eventually.HoldsAsync(async () => (await ManagerStateAsync(_a, "v1")).Item3 == "+N", TimeSpan.FromSeconds(10), () => "gateway A never took B's edit");

        // Redis loses the edits (an operator's FLUSHALL): the gateways write the ones in force back, so the restarted
        // gateway below, which reads them from Redis alone, still gets them.
        Assert.Equal("OK", (await _redis.CliAsync("FLUSHALL")).Stdout.Trim());
        await Eventually.HoldsAsync(
            async () => (await _redis.CliAsync("HLEN", $"{{{_prefix}}}:overrides")).Stdout.Trim() == "2"
                && (await _redis.CliAsync("GET", $"{{{_prefix}}}:lbmethod")).Stdout.Trim() == "bybusyness",
            TimeSpan.FromSeconds(10),
            () => "the balancer-manager edits were not written back to Redis");

        await _a.DisposeAsync();
        _a = null!;
        _a = await GatewayUnderTest.StartAsync(_repository, _volunteers, [.. GatewaySettings(), .. manager]);
        Assert.Equal(expected, await ManagerStateAsync(_a, "v2"));
        Assert.Equal("+N", (await ManagerStateAsync(_a, "v1")).Item3);
        var v2 = (await ManagerViewAsync(_a))["members"]!.AsArray().Single(x => (string)x!["id"]! == "v2")!;
        Assert.Equal(("r2", "r1"), ((string)v2["route"]!, (string)v2["routeRedir"]!));
    }

    private const string ManagerCredential = "admin:correct-horse-battery";

    /// <summary>One balancer-manager edit through its JSON API (with a fresh nonce from the JSON view), as a script sends it.</summary>
    private static async Task<HttpResponseMessage> EditAsync(GatewayUnderTest gateway, params (string Name, string Value)[] fields)
    {
        var nonce = (string)(await ManagerViewAsync(gateway))["nonce"]!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/balancer-manager?format=json")
        {
            Content = new FormUrlEncodedContent([new("nonce", nonce), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ManagerCredential);
        return await gateway.Client.SendAsync(request);
    }

    private static async Task<JsonNode> ManagerViewAsync(GatewayUnderTest gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/balancer-manager?format=json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ManagerCredential);
        using var response = await gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    /// <summary>The member's factor, set and status flags, and the lbmethod, as the gateway's balancer-manager shows them.</summary>
    private static async Task<(double Factor, int Set, string Flags, string LbMethod)> ManagerStateAsync(GatewayUnderTest gateway, string member)
    {
        var view = await ManagerViewAsync(gateway);
        var m = view["members"]!.AsArray().Single(x => (string)x!["id"]! == member)!;
        return ((double)m["factor"]!, (int)m["set"]!, (string)m["statusFlags"]!, (string)view["lbMethod"]!);
    }

    private long OriginRequests() => Gateways.Sum(g => g.OriginMeter.Requests);

    private string[] GatewaySettings() =>
    [
        "--Store:Kind=Redis", $"--Store:Redis={_redis.ConnectionString}", $"--Store:KeyPrefix={_prefix}",
        "--Store:OperationTimeout=00:00:01", "--Store:RetryInterval=00:00:00.2",
        "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Seed=7",
    ];

    private async Task StartGatewaysAsync(params string[] settings)
    {
        var shared = GatewaySettings();
        _a = await GatewayUnderTest.StartAsync(_repository, _volunteers, [.. shared, .. settings]);
        _b = await GatewayUnderTest.StartAsync(_repository, _volunteers, [.. shared, .. settings]);
    }

    private string ContentOfBig => _a.App.Services.GetRequiredService<CatalogState>().Current.Find(Big)!.ContentId;

    private string[] HoldersOfBig(GatewayUnderTest gateway) => gateway.App.Services.GetRequiredService<HoldingsView>().HoldersOf(ContentOfBig);

    private async Task HoldAsync(IHoldingsStore store, params string[] volunteers)
    {
        foreach (var volunteer in volunteers)
        {
            await store.ReplaceHoldingsAsync(volunteer, [ContentOfBig], CancellationToken.None);
        }
    }

    private static async Task ReportAsync(IHoldingsStore store, params (string Volunteer, int Transfers)[] loads)
    {
        foreach (var (volunteer, transfers) in loads)
        {
            await store.ReportLoadAsync(volunteer, new LoadReport(transfers, 0, 0, 0, 0, DateTimeOffset.UtcNow), CancellationToken.None);
        }
    }

    private async Task AnnounceUntilAsync(IHoldingsStore store, int[] loads, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await HoldAsync(store, "v1", "v2");
                await ReportAsync(store, ("v1", Volatile.Read(ref loads[0])), ("v2", Volatile.Read(ref loads[1])));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Both gateways redirect to <paramref name="volunteer"/> (polled: the notification takes a moment).</summary>
    private async Task BothChooseAsync(string volunteer)
    {
        var port = _volunteers.Single(v => v.Id == volunteer).Port;
        var last = string.Empty;
        foreach (var gateway in Gateways)
        {
            await Eventually.HoldsAsync(
                async () =>
                {
                    using var response = await gateway.Client.GetAsync(Big);
                    last = $"{(int)response.StatusCode} {response.Headers.Location}";
                    return response.StatusCode == HttpStatusCode.Found && response.Headers.Location?.Port == port;
                },
                TimeSpan.FromSeconds(10),
                () => $"{gateway.Url} answered {last}, not a redirect to {volunteer}; it holds {string.Join(",", HoldersOfBig(gateway))}; {gateway.App.Services.GetRequiredService<StoreHealth>().Describe()}");
        }
    }
}
