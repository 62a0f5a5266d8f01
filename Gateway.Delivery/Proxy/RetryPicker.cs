using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Selection.Apache;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// Chooses the next holder after a failed attempt with the cluster's own policy, as Apache asks its
/// lbmethod again on failover (so byrequests' and bybusyness' counters see the retry too). A quarantined
/// holder is never tried, even when it was quarantined after the policy picked it.
/// </summary>
public sealed class RetryPicker
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly IProxyStateLookup _proxyState;
    private readonly QuarantineList _quarantine;

    public RetryPicker(IEnumerable<ILoadBalancingPolicy> policies, IProxyStateLookup proxyState, QuarantineList quarantine)
    {
        _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _proxyState = proxyState;
        _quarantine = quarantine;
    }

    /// <summary>The policy's first pick, or another holder when it was quarantined meanwhile (null when none is left).</summary>
    public DestinationState? First(HttpContext context, DestinationState picked, IReadOnlyList<DestinationState> candidates, ref List<DestinationState>? remaining)
    {
        ArgumentNullException.ThrowIfNull(picked);
        return _quarantine.Contains(picked.DestinationId) ? Next(context, picked, candidates, ref remaining) : picked;
    }

    /// <summary>Drops <paramref name="failed"/> (and quarantined holders) and lets the cluster's policy pick among the rest.</summary>
    public DestinationState? Next(HttpContext context, DestinationState failed, IReadOnlyList<DestinationState> candidates, ref List<DestinationState>? remaining)
    {
        // Allocated only on the rare path: most requests succeed at the first attempt.
        remaining ??= [.. candidates];
        remaining.Remove(failed);
        for (var i = remaining.Count - 1; i >= 0; i--)
        {
            if (_quarantine.Contains(remaining[i].DestinationId))
            {
                remaining.RemoveAt(i);
            }
        }

        return PickAgain(context, remaining);
    }

    /// <summary>
    /// The policy's pick among <paramref name="remaining"/>, or null when none is left. A request pinned to its sticky
    /// route (nofailover) is always asked of the policy, and its null is kept: httpd runs the balancer's pre_request
    /// again, which answers 503 once the routed member is in error (mod_proxy_balancer.c, sticky_force).
    /// </summary>
    private DestinationState? PickAgain(HttpContext context, List<DestinationState> remaining)
    {
        var pinned = BalancerMembers.IsPinned(context);
        if (remaining.Count == 0 || (remaining.Count == 1 && !pinned))
        {
            return remaining.Count == 0 ? null : remaining[0];
        }

        if (!_proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster))
        {
            return remaining[0];
        }

        var policyName = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        return _policies.TryGetValue(policyName, out var policy)
            ? policy.PickDestination(context, cluster, remaining) ?? (pinned ? null : remaining[0])
            : remaining[0];
    }
}
