using Gateway.Core.Catalog;
using Gateway.State;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// A Redis that loses its memory under load (killed and restarted empty, flushed, or a cluster primary killed and its
/// replica promoted) costs customers and the origin
/// nothing: two real gateways in redirect mode keep their last view until the writers (here the gateways' configured
/// inventories) have written the state again, and the origin, which counts what it serves, gets no request.
/// </summary>
public sealed class RedisResetUnderLoadTests : IAsyncLifetime
{
    private const string Big = DownloadScenario.Big;
    private const int Phase = 500;

    // Each phase lasts a second at least: long enough for the gateways to notice the fault, short enough to stay bounded.
    private static readonly TimeSpan PhaseTime = TimeSpan.FromSeconds(1);
    private readonly string _prefix = StoreClient.NewPrefix();
    private SharedRedisBed _bed = null!;
    private GatewayUnderTest _a = null!;
    private GatewayUnderTest _b = null!;
    private StoreClient? _tracker;

    private IReadOnlyList<GatewayUnderTest> Gateways => [_a, _b];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// The bed (one redis-server, or a cluster with a replica per master) and two gateways that hold both volunteers: v1
    /// from its configured inventory, and v2 from its inventory too, or, with <paramref name="v2FromTracker"/>, from
    /// holdings the test writes as a tracker would (so no gateway writes them again after a fault).
    /// </summary>
    private async Task StartAsync(bool cluster = false, bool v2FromTracker = false)
    {
        _bed = cluster ? await SharedRedisBed.StartClusterAsync(Big, replicasPerMaster: 1) : await SharedRedisBed.StartAsync(Big);
        string[] settings =
        [
            "--Store:Kind=Redis", $"--Store:Redis={_bed.ConnectionString}", $"--Store:KeyPrefix={_prefix}",
            "--Store:OperationTimeout=00:00:01", "--Store:RetryInterval=00:00:00.2",

            // Nothing but the reset handling may repair the state within the test: no periodic reread, no periodic inventory.
            "--Store:ReconcileInterval=00:10:00", "--Store:ViewMaxAge=00:20:00", "--Gateway:InventoryRefresh=00:10:00",
            "--Volunteers:0:Inventory=all", v2FromTracker ? "--Volunteers:1:Weight=1" : "--Volunteers:1:Inventory=all",
            "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Seed=7",
        ];
        _a = await GatewayUnderTest.StartAsync(_bed.Repository, _bed.Volunteers, settings);
        _b = await GatewayUnderTest.StartAsync(_bed.Repository, _bed.Volunteers, settings);
        if (v2FromTracker)
        {
            _tracker = await StoreClient.Redis(_bed.ConnectionString, _prefix).StartAsync();
            await _tracker.Store.ReplaceHoldingsAsync("v2", [ContentOfBig()], CancellationToken.None);
        }

        await Eventually.HoldsAsync(() => Gateways.All(g => HoldersOfBig(g).Length == 2), TimeSpan.FromSeconds(20), Describe);
    }

    public async Task DisposeAsync()
    {
        if (_tracker is not null)
        {
            await _tracker.DisposeAsync();
        }

        if (_bed is not null)
        {
            await _bed.DisposeAsync(_a, _b);
        }
    }

    [Fact]
    public async Task Redis_killed_and_restarted_empty_under_load_fails_no_customer_and_sends_the_origin_nothing()
    {
        await StartAsync();
        await UnderLoadAsync(async load =>
        {
            await _bed.Redis.KillAsync();
            await load.MoreAsync(Phase, PhaseTime);
            Assert.All(Gateways, g => Assert.False(g.App.Services.GetRequiredService<StoreHealth>().IsFollowing, Describe()));
            await _bed.Redis.RestartAsync();
            await load.MoreAsync(Phase, PhaseTime);
        });
    }

    [Fact]
    public async Task A_flushall_under_load_fails_no_customer_sends_the_origin_nothing_and_the_gateways_write_the_state_again()
    {
        await StartAsync();
        await UnderLoadAsync(async load =>
        {
            var flushed = await _bed.Redis.CliAsync("FLUSHALL");
            Assert.Equal("OK", flushed.Stdout.Trim());
            await load.MoreAsync(Phase, PhaseTime);
        });
        Assert.All(Gateways, g => Assert.True(g.App.Services.GetRequiredService<IStoreResets>().Resets >= 1, Describe()));
    }

    [Fact]
    public async Task A_cluster_primary_killed_and_its_replica_promoted_under_load_fails_no_customer_and_sends_the_origin_nothing()
    {
        await StartAsync(cluster: true);
        await UnderLoadAsync(async load =>
        {
            // The master of the swarm state's slot dies (SIGKILL) and its replica takes over without it, with whatever
            // it had replicated: another server process answers for the state, which the gateways take as a reset.
            var (primary, replica) = await _bed.Cluster!.OwnersOfAsync(_prefix);
            await primary.KillAsync();
            await TakeOverAsync(replica);
            await load.MoreAsync(Phase, PhaseTime);
        });
        Assert.All(Gateways, g => Assert.True(g.App.Services.GetRequiredService<IStoreResets>().Resets >= 1, Describe()));
    }

    /// <summary>
    /// The replica that takes over missed the latest write: it was stopped (SIGSTOP) and its link dropped when v2
    /// dropped the file at the primary, and the primary died before it resumed. The promoted replica still says v2 holds the file, an older
    /// state than the views have, and no view takes it back; customers and the origin see nothing of it.
    /// </summary>
    [Fact]
    public async Task A_promoted_replica_that_missed_the_latest_write_never_brings_older_holdings_back_into_a_view()
    {
        await StartAsync(cluster: true, v2FromTracker: true);
        var content = ContentOfBig();
        var (primary, replica) = await _bed.Cluster!.OwnersOfAsync(_prefix);
        using var load = CustomerLoad.Start(Gateways, Big, concurrency: 8, perSecond: 1000);
        await load.MoreAsync(Phase, PhaseTime);
        var originBefore = OriginRequests();

        var frozen = replica.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, (await CommandLine.RunAsync("kill", ["-STOP", frozen])).ExitCode);
        try
        {
            // Its link dropped while it sleeps, so the write below is never sent to it (a stopped process's socket
            // would otherwise take the bytes for it to read when it wakes).
            await primary.CliAsync("CLIENT", "KILL", "TYPE", "replica");
            await _tracker!.Store.UpdateHoldingsAsync("v2", [], [content], CancellationToken.None);
            await Eventually.HoldsAsync(() => Gateways.All(g => HoldersOfBig(g) is ["v1"]), TimeSpan.FromSeconds(10), Describe);
            await primary.KillAsync();
        }
        finally
        {
            await CommandLine.RunAsync("kill", ["-CONT", frozen]);
        }

        await TakeOverAsync(replica);
        await Eventually.HoldsAsync(() => Gateways.All(g => g.App.Services.GetRequiredService<IStoreResets>().Resets >= 1), TimeSpan.FromSeconds(20), Describe);
        await load.MoreAsync(Phase, PhaseTime);

        // The store is behind: it says v2 still holds the file. The views keep the newer word.
        await using (var reader = StoreClient.Redis(_bed.ConnectionString, _prefix))
        {
            var snapshot = await reader.Store.GetSnapshotAsync(CancellationToken.None);
            Assert.True(snapshot.Holdings.TryGetValue("v2", out var v2) && v2.Contains(content), "the promoted replica did not miss the write, so nothing was tested");
        }

        Assert.All(Gateways, g => Assert.Equal(["v1"], HoldersOfBig(g)));
        await load.StopAsync();
        Assert.True(load.Failures.IsEmpty, load.Describe());
        Assert.Equal(originBefore, OriginRequests());
    }

    /// <summary>
    /// Customers before, during and after <paramref name="fault"/>, until the gateways wrote the state again and a while
    /// after: none fails, and the origin serves nothing more than it had before the fault.
    /// </summary>
    private async Task UnderLoadAsync(Func<CustomerLoad, Task> fault)
    {
        using var load = CustomerLoad.Start(Gateways, Big, concurrency: 8, perSecond: 1000);
        await load.MoreAsync(Phase, PhaseTime);
        var originBefore = OriginRequests();
        await fault(load);
        await RebuiltAsync();
        await load.MoreAsync(Phase, PhaseTime);
        await load.StopAsync();

        Assert.True(load.Failures.IsEmpty, load.Describe());
        Assert.Equal(originBefore, OriginRequests());
    }

    /// <summary>Redis holds both volunteers again (written by the gateways, as nothing else writes here) and no view carries any.</summary>
    private async Task RebuiltAsync()
    {
        await using var reader = StoreClient.Redis(_bed.ConnectionString, _prefix);
        var content = _a.App.Services.GetRequiredService<CatalogState>().Current.Find(Big)!.ContentId;
        var held = string.Empty;
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    var snapshot = await reader.Store.GetSnapshotAsync(CancellationToken.None);
                    held = string.Join(",", snapshot.Holdings.Where(h => h.Value.Contains(content)).Select(h => h.Key).Order(StringComparer.Ordinal));
                }
                catch (Exception ex) when (Gateway.State.Resilience.StoreResilience.IsStoreFailure(ex))
                {
                    held = ex.Message;
                }

                return held == "v1,v2" && Gateways.All(g => g.App.Services.GetRequiredService<HoldingsView>().CarriedCount == 0);
            },
            TimeSpan.FromSeconds(20),
            () => $"redis holds [{held}]; {Describe()}");
    }

    /// <summary>The replica takes over without its (dead) primary, and answers as a master.</summary>
    private static async Task TakeOverAsync(RedisServer replica)
    {
        var takeover = await replica.CliAsync("CLUSTER", "FAILOVER", "TAKEOVER");
        Assert.Equal("OK", takeover.Stdout.Trim());
        await Eventually.HoldsAsync(
            async () => (await replica.CliAsync("ROLE")).Stdout.StartsWith("master", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            () => $"the replica on port {replica.Port} was not promoted");
    }

    private string ContentOfBig() => _a.App.Services.GetRequiredService<CatalogState>().Current.Find(Big)!.ContentId;

    private long OriginRequests() => Gateways.Sum(g => g.OriginMeter.Requests);

    private static string[] HoldersOfBig(GatewayUnderTest gateway)
    {
        var content = gateway.App.Services.GetRequiredService<CatalogState>().Current.Find(Big)!.ContentId;
        return gateway.App.Services.GetRequiredService<HoldingsView>().HoldersOf(content);
    }

    private string Describe() => string.Join(" | ", Gateways.Where(g => g is not null).Select(g =>
        $"{g.Url}: holders [{string.Join(",", HoldersOfBig(g))}], carried {g.App.Services.GetRequiredService<HoldingsView>().CarriedCount}, "
        + $"resets {g.App.Services.GetRequiredService<IStoreResets>().Resets}, {g.App.Services.GetRequiredService<StoreHealth>().Describe()}"));
}
