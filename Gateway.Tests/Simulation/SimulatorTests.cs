using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Simulation.Model;
using Gateway.Simulation.Policies;
using Gateway.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Simulation;

public sealed class SimulatorTests
{
    // 100 bytes a second: sizes and times below are small integers, so processor sharing is exact in doubles.
    private static readonly Scenario Tiny = new() { Volunteers = 2, CapacityBytesPerSecond = 100, SyncingShare = 0, Requests = 3 };

    [Fact]
    public void Processor_sharing_reproduces_a_hand_computed_case_exactly()
    {
        // byrequests alternates v0, v1, v0. On v0: r0 (300 B) alone for 1 s (100 B), then shares with r2
        // (100 B) at 50 B/s each: r2 ends at 3 s, r0 has 100 B left alone and ends at 4 s. r1 on v1 ends at 1 s.
        var workload = Workload.With(Tiny, [new Request(0, 300, false), new Request(0, 100, false), new Request(1, 100, false)]);

        var result = new Simulator(Tiny, PolicyKind.ByRequests, workload).Run();

        Assert.Equal([4.0, 1.0, 2.0], result.ResponseSeconds);
        Assert.Equal([0, 1, 0], result.ServedBy);
        Assert.Equal(1.0, result.Offload);
    }

    [Fact]
    public void Pick_records_show_each_picks_true_flows_next_to_the_fewest_any_candidate_had()
    {
        // byrequests alternates v0, v1, v0 whatever the load: r1 (50 B) has left v1 at 0.5 s, so r2 at 1 s joins r0 on
        // v0 (1 flow) while v1 is idle (0 flows).
        var workload = Workload.With(Tiny, [new Request(0, 300, false), new Request(0, 50, false), new Request(1, 100, false)]);
        var records = new PickRecords(workload.Requests.Count);
        var path = Path.Combine(Path.GetTempPath(), $"picks-{Guid.NewGuid():N}.csv");
        try
        {
            var result = new Simulator(Tiny, PolicyKind.ByRequests, workload) { Records = records }.Run();
            records.Write(path, workload.Requests, result.ResponseSeconds, result.ServedBy);
            var rows = File.ReadAllLines(path).Skip(1).Select(line => line.Split(',')).ToArray();

            Assert.Equal(["0", "1", "0"], rows.Select(r => r[4]));
            Assert.All(rows, r => Assert.Equal("1", r[3]));
            Assert.Equal([("0", "0"), ("0", "0"), ("1", "0")], rows.Select(r => (r[6], r[7])));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sync_flows_take_their_share_of_the_link()
    {
        // One volunteer, one sync flow: a 100 B request gets half of 100 B/s and takes 2 s.
        var scenario = Tiny with { Volunteers = 1, SyncingShare = 1, SyncFlowsPerVolunteer = 1, Requests = 1 };
        var workload = Workload.With(scenario, [new Request(0, 100, false)]);

        var result = new Simulator(scenario, PolicyKind.Feedback, workload).Run();

        Assert.Equal([2.0], result.ResponseSeconds);
    }

    [Fact]
    public void Sync_that_wants_less_than_its_share_leaves_the_rest_to_the_customers()
    {
        // One volunteer, 4 sync flows wanting 20 B/s together on a 100 B/s link: a 160 B request gets the other 80 B/s
        // and takes 2 s (with sync taking its equal shares it would get 20 B/s and take 8 s); the sync flows sent 40 B.
        var scenario = Tiny with { Volunteers = 1, SyncingShare = 1, SyncFlowsPerVolunteer = 4, Requests = 2, SyncDemand = [20] };
        var workload = Workload.With(scenario, [new Request(0, 160, false), new Request(2, 0, false)]);

        var result = new Simulator(scenario, PolicyKind.Feedback, workload).Run();
        var unbounded = new Simulator(scenario with { SyncDemand = null }, PolicyKind.Feedback, workload).Run();

        Assert.Equal(2.0, result.ResponseSeconds[0], 9);
        Assert.Equal(40.0, result.Volunteers[0].SyncBytes, 9);
        Assert.Equal(8.0, unbounded.ResponseSeconds[0], 9);
    }

    [Fact]
    public void Sync_that_wants_more_than_its_share_still_gets_only_its_share()
    {
        // 1 sync flow wanting 90 B/s next to one customer on a 100 B/s link: each gets 50 B/s, as without a demand.
        var scenario = Tiny with { Volunteers = 1, SyncingShare = 1, SyncFlowsPerVolunteer = 1, Requests = 1, SyncDemand = [90] };
        var workload = Workload.With(scenario, [new Request(0, 100, false)]);

        var result = new Simulator(scenario, PolicyKind.Feedback, workload).Run();

        Assert.Equal(2.0, result.ResponseSeconds[0], 9);
    }

    [Fact]
    public void Requests_for_a_package_nobody_holds_yet_go_to_the_origin()
    {
        var scenario = Tiny with { FlashCrowd = true, ReplicationSeconds = 1_000, OriginCapacityBytesPerSecond = 100 };
        var workload = Workload.With(scenario, [new Request(0, 100, true), new Request(0, 100, false)]);

        var result = new Simulator(scenario, PolicyKind.Feedback, workload).Run();

        Assert.Equal(scenario.Volunteers, result.ServedBy[0]);
        Assert.NotEqual(scenario.Volunteers, result.ServedBy[1]);
        Assert.Equal(0.5, result.Offload);
    }

    [Theory]
    [InlineData("feedback")]
    [InlineData("yarp-p2c")]
    [InlineData("bybusyness")]
    public void The_same_seed_gives_the_same_run(string label)
    {
        var policy = PolicyKinds.Parse(label);
        var scenario = new Scenario { Volunteers = 16, Requests = 400, Sizes = SizeModel.Trace, Volatile = true, FlashCrowd = true, Mode = GatewayMode.Proxy, Seed = 7 };

        var first = new Simulator(scenario, policy).Run();
        var second = new Simulator(scenario, policy).Run();
        var otherSeed = new Simulator(scenario with { Seed = 8 }, policy).Run();

        Assert.Equal(first.ResponseSeconds, second.ResponseSeconds);
        Assert.Equal(first.ServedBy, second.ServedBy);
        Assert.NotEqual(first.ResponseSeconds, otherSeed.ResponseSeconds);
    }

    [Fact]
    public void The_simulated_gateway_runs_the_gateways_own_policy_classes()
    {
        string[] ids = ["v0", "v1"];
        using var feedback = new GatewayPolicies(PolicyKind.Feedback, GatewayMode.Redirect, ids, TimeProvider.System, new Random(1), _ => 0);
        using var byRequests = new GatewayPolicies(PolicyKind.ByRequests, GatewayMode.Redirect, ids, TimeProvider.System, new Random(1), _ => 0);
        using var byBusyness = new GatewayPolicies(PolicyKind.ByBusyness, GatewayMode.Redirect, ids, TimeProvider.System, new Random(1), _ => 0);
        using var yarp = new GatewayPolicies(PolicyKind.YarpPowerOfTwo, GatewayMode.Redirect, ids, TimeProvider.System, new Random(1), _ => 0);

        Assert.IsType<FeedbackPowerOfTwoPolicy>(feedback.Policy);
        Assert.IsType<ByRequestsPolicy>(byRequests.Policy);
        Assert.IsType<ByBusynessPolicy>(byBusyness.Policy);
        Assert.IsType<PowerOfTwoChoicesPolicy>(yarp.Policy);
        Assert.Equal(LoadBalancingPolicies.PowerOfTwoChoices, yarp.Policy.Name);
    }

    [Fact]
    public void The_simulators_power_of_two_picks_as_yarps_registered_policy_does()
    {
        // YARP's own policy, reached through its public registration, not by reflection.
        using var services = new ServiceCollection().AddReverseProxy().Services.BuildServiceProvider();
        var yarp = services.GetServices<ILoadBalancingPolicy>().Single(p => p.Name == LoadBalancingPolicies.PowerOfTwoChoices);
        var ours = new PowerOfTwoChoicesPolicy(new Random(7));
        var context = new DefaultHttpContext();
        var cluster = new ClusterState("volunteers");
        var busy = new[] { 0, 5, 9 };
        var destinations = busy.Select((n, i) => Busy(new DestinationState("v" + i), n)).ToArray();

        Assert.Null(ours.PickDestination(context, cluster, []));
        Assert.Same(destinations[2], ours.PickDestination(context, cluster, [destinations[2]]));
        Assert.Same(destinations[0], ours.PickDestination(context, cluster, [destinations[2], destinations[0]]));
        Assert.Same(destinations[0], yarp.PickDestination(context, cluster, [destinations[2], destinations[0]]));

        // Of three, the busiest is never picked and the least busy wins whenever it is drawn (2 in 3).
        const int picks = 6000;
        var oursShares = Shares(ours);
        var yarpShares = Shares(yarp);
        Assert.Equal(0, oursShares[2]);
        Assert.Equal(0, yarpShares[2]);
        Assert.InRange(oursShares[0], 2.0 / 3 - 0.03, 2.0 / 3 + 0.03);
        Assert.InRange(yarpShares[0], 2.0 / 3 - 0.03, 2.0 / 3 + 0.03);

        double[] Shares(ILoadBalancingPolicy policy)
        {
            var counts = new double[destinations.Length];
            for (var i = 0; i < picks; i++)
            {
                counts[Array.IndexOf(destinations, policy.PickDestination(context, cluster, destinations))]++;
            }

            return [.. counts.Select(c => c / picks)];
        }

        static DestinationState Busy(DestinationState destination, int inFlight)
        {
            destination.ConcurrentRequestCount = inFlight;
            return destination;
        }
    }

    [Fact]
    public void The_feedback_policy_compares_every_holder_when_there_are_few_and_counts_its_own_redirects()
    {
        var clock = new SimulationClock();
        string[] ids = ["v0", "v1", "v2", "v3"];
        using var gateway = new GatewayPolicies(PolicyKind.Feedback, GatewayMode.Redirect, ids, clock, new Random(1), _ => 0);
        int[] transfers = [5, 3, 1, 7];
        for (var i = 0; i < ids.Length; i++)
        {
            gateway.Announced(ids[i], new LoadReport(transfers[i], 0, 0, 0, 0, clock.GetUtcNow()));
        }

        var destinations = ids.Select(id => new DestinationState(id)).ToArray();
        var context = new DefaultHttpContext();

        // v2 reports 1 and each redirect to it adds one: after three it is at 4, above v1's 3.
        Assert.Equal("v2", gateway.Policy.PickDestination(context, null!, destinations)!.DestinationId);
        gateway.Dispatched(destinations[2], 1_000, request: 0);
        Assert.Equal("v2", gateway.Policy.PickDestination(context, null!, destinations)!.DestinationId);
        gateway.Dispatched(destinations[2], 1_000, request: 1);
        gateway.Dispatched(destinations[2], 1_000, request: 2);
        Assert.Equal("v1", gateway.Policy.PickDestination(context, null!, destinations)!.DestinationId);
    }

    [Fact]
    public void Trace_sizes_match_the_papers_shape()
    {
        var random = new Random(3);
        var sizes = Enumerable.Range(0, 200_000).Select(_ => FileSizes.DrawTrace(random)).ToArray();

        var small = sizes.Count(s => s < 256 * 1024) / (double)sizes.Length;
        var bigBytes = sizes.Where(s => s > 4 * 1024 * 1024).Sum() / sizes.Sum();

        Assert.InRange(small, 0.80, 0.82);
        Assert.InRange(bigBytes, 0.75, 0.85);
    }
}
