using Gateway.Delivery;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Selection;

/// <summary>Apache lbmethods over real <see cref="BalancerMembers"/> with a fake clock and scripted randomness.</summary>
internal sealed class ApacheBalancerHarness : IDisposable
{
    public ApacheBalancerHarness(IEnumerable<VolunteerOptions> volunteers, BalancerOptions? balancer = null)
    {
        var set = new VolunteerSetOptions();
        set.Members.AddRange(volunteers);
        Volunteers = new TestOptionsMonitor<VolunteerSetOptions>(set);
        Balancer = new TestOptionsMonitor<BalancerOptions>(balancer ?? new BalancerOptions());
        Members = new BalancerMembers(Volunteers, Balancer, Time);
        Swarm = new Gateway.State.Views.HoldingsView(Time);
        Board = new HeartbeatBoard(Time, Swarm, Balancer, new TestOptionsMonitor<SelectionOptions>(new SelectionOptions()));
        Destinations = set.Members.Select(v => new DestinationState(v.Id)).ToArray();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public TestOptionsMonitor<VolunteerSetOptions> Volunteers { get; }

    public TestOptionsMonitor<BalancerOptions> Balancer { get; }

    public BalancerMembers Members { get; }

    public HeartbeatBoard Board { get; }

    public Gateway.State.Views.HoldingsView Swarm { get; }

    public ScriptedRandom Random { get; } = new();

    public DestinationState[] Destinations { get; }

    public static VolunteerOptions Member(string id, double loadFactor = 1, int lbSet = 0, string? status = null) =>
        new() { Id = id, Url = $"http://127.0.0.1/{id}/", LoadFactor = loadFactor, LbSet = lbSet, Status = status };

    public ILoadBalancingPolicy Policy(string name) => name switch
    {
        ByRequestsPolicy.PolicyName => new ByRequestsPolicy(Members),
        ByTrafficPolicy.PolicyName => new ByTrafficPolicy(Members),
        ByBusynessPolicy.PolicyName => new ByBusynessPolicy(Members),
        HeartbeatPolicy.PolicyName => new HeartbeatPolicy(Members, Board, Random, Time),
        _ => throw new ArgumentException(name),
    };

    /// <summary>Picks <paramref name="count"/> times among all members (or the given ids) and returns the chosen ids, "-" for none.</summary>
    public string[] Picks(string policy, int count, params string[] available)
    {
        var p = Policy(policy);
        var candidates = available.Length == 0 ? Destinations : Destinations.Where(d => available.Contains(d.DestinationId)).ToArray();
        var context = new DefaultHttpContext();
        var cluster = new ClusterState("volunteers");
        return Enumerable.Range(0, count).Select(_ => p.PickDestination(context, cluster, candidates)?.DestinationId ?? "-").ToArray();
    }

    public void Dispose() => Members.Dispose();

    /// <summary>Randomness a test scripts: returns the queued values in turn.</summary>
    internal sealed class ScriptedRandom : IRandomSource
    {
        public Queue<int> Next { get; } = new();

        public int NextIndex(int maxExclusive)
        {
            var value = Next.Dequeue();
            Assert.InRange(value, 0, maxExclusive - 1);
            return value;
        }
    }
}
