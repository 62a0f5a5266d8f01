using Gateway.Volunteers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>Picks the next holder after a failed attempt with the cluster's own policy (so lbsets, weights and load still count).</summary>
public sealed class FailoverPicker(IProxyStateLookup proxyState, IEnumerable<ILoadBalancingPolicy> policies)
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public DestinationState? PickAgain(HttpContext context, IReverseProxyFeature proxy, List<DestinationState> remaining)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(remaining);
        if (remaining.Count <= 1)
        {
            return remaining.Count == 1 ? remaining[0] : null;
        }

        var policyName = proxy.Cluster.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        return _policies.TryGetValue(policyName, out var policy) && proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster)
            ? policy.PickDestination(context, cluster, remaining)
            : remaining[0];
    }
}
