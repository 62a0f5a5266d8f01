using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Policies;

/// <summary>
/// The limit no real gateway reaches: the candidate with the fewest flows (customer and sync) per unit of
/// capacity right now, read from the model itself. Ties go to the first in candidate order.
/// </summary>
internal sealed class OraclePolicy(Func<string, double> trueLoad) : ILoadBalancingPolicy
{
    public string Name => "Oracle";

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(availableDestinations);
        DestinationState? best = null;
        var bestLoad = double.PositiveInfinity;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            var load = trueLoad(availableDestinations[i].DestinationId);
            if (load < bestLoad)
            {
                best = availableDestinations[i];
                bestLoad = load;
            }
        }

        return best;
    }
}
