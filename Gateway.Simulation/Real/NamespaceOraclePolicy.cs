using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Real;

/// <summary>
/// The experiment's limit, registered only in its gateway: the holder with the fewest flows on its link right
/// now as the kernel sees them (<see cref="LinkSampler"/>, every 100 ms, plus its own picks since), lower
/// upload rate on ties. No deployable gateway can see this.
/// </summary>
internal sealed class NamespaceOraclePolicy(LinkSampler sampler) : ILoadBalancingPolicy
{
    public const string PolicyName = "Oracle";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        DestinationState? best = null;
        (double Load, double Rate) bestKey = (double.PositiveInfinity, double.PositiveInfinity);
        foreach (var destination in availableDestinations)
        {
            var key = (sampler.Load(destination.DestinationId), sampler.Rate(destination.DestinationId));
            if (key.CompareTo(bestKey) < 0)
            {
                best = destination;
                bestKey = key;
            }
        }

        if (best is not null)
        {
            sampler.Picked(best.DestinationId);
        }

        return best;
    }
}
