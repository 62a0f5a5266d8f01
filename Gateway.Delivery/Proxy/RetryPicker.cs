using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using Gateway.Delivery.Availability;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// Chooses the next holder after a failed attempt with the cluster's own policy, as Apache asks its
/// lbmethod again on failover (so byrequests' and bybusyness' counters see the retry too).
/// </summary>
public sealed class RetryPicker
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly IProxyStateLookup _proxyState;

    public RetryPicker(IEnumerable<ILoadBalancingPolicy> policies, IProxyStateLookup proxyState)
    {
        _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _proxyState = proxyState;
    }

    /// <summary>The policy's pick among <paramref name="remaining"/>, or null when none is left.</summary>
    public DestinationState? PickAgain(HttpContext context, IReadOnlyList<DestinationState> remaining)
    {
        ArgumentNullException.ThrowIfNull(remaining);
        if (remaining.Count <= 1)
        {
            return remaining.Count == 0 ? null : remaining[0];
        }

        if (!_proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster))
        {
            return remaining[0];
        }

        var policyName = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        return _policies.TryGetValue(policyName, out var policy)
            ? policy.PickDestination(context, cluster, remaining) ?? remaining[0]
            : remaining[0];
    }
}
