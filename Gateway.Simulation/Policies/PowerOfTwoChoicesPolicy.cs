using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Policies;

/// <summary>
/// YARP's power-of-two-choices rule, written here so that the simulator can draw from the run's seeded
/// <see cref="Random"/>: two different destinations at random, the one with fewer requests in flight wins
/// (the first on a tie). YARP's own class is internal and takes its randomness from an internal factory;
/// reaching it by reflection would break silently on an upgrade. The simulator's tests hold this class to
/// YARP's registered policy on the cases where the rule leaves no choice.
/// </summary>
internal sealed class PowerOfTwoChoicesPolicy(Random random) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicies.PowerOfTwoChoices;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var count = availableDestinations.Count;
        if (count < 2)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        // Redrawing until the second differs consumes the seeded Random as YARP does, so the simulator's
        // yarp-p2c figures stay those of YARP's own class.
        var first = random.Next(count);
        var second = first;
        while (second == first)
        {
            second = random.Next(count);
        }

        var a = availableDestinations[first];
        var b = availableDestinations[second];
        return a.ConcurrentRequestCount <= b.ConcurrentRequestCount ? a : b;
    }
}
