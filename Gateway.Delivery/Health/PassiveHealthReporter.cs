using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Gateway.Delivery.Availability;

namespace Gateway.Delivery.Health;

/// <summary>
/// Tells the volunteers cluster's passive health policy how an attempt that did not go through YARP's
/// forwarder went (the verifying forwarder's), as YARP's own passive-health step does after each forward,
/// so volunteers failing verified downloads are marked down the same way.
/// </summary>
public sealed class PassiveHealthReporter
{
    private readonly Dictionary<string, IPassiveHealthCheckPolicy> _policies;
    private readonly IProxyStateLookup _proxyState;

    public PassiveHealthReporter(IEnumerable<IPassiveHealthCheckPolicy> policies, IProxyStateLookup proxyState)
    {
        _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _proxyState = proxyState;
    }

    /// <summary>Reports one attempt on <paramref name="volunteerId"/>: a transport failure, or a request that went through.</summary>
    public void Report(HttpContext context, string volunteerId, bool transportFailed)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster)
            || cluster.Model.Config.HealthCheck?.Passive is not { Enabled: true } passive
            || !_policies.TryGetValue(passive.Policy ?? "TransportFailureRate", out var policy)
            || !cluster.Destinations.TryGetValue(volunteerId, out var destination))
        {
            return;
        }

        // The policy reads the outcome from the error feature, as it does after YARP's forwarder.
        var previous = context.Features.Get<IForwarderErrorFeature>();
        context.Features.Set<IForwarderErrorFeature?>(transportFailed ? new AttemptError() : null);
        try
        {
            policy.RequestProxied(context, cluster, destination);
        }
        finally
        {
            context.Features.Set(previous);
        }
    }

    private sealed class AttemptError : IForwarderErrorFeature
    {
        public ForwarderError Error => ForwarderError.Request;

        public Exception? Exception => null;
    }
}
