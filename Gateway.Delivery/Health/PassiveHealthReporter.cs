using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Health;

/// <summary>
/// The volunteers cluster's passive health, told once after each proxy attempt on a volunteer (by
/// <see cref="Gateway.Delivery.Proxy.AttemptLoop"/>, plain or verified; the proxy pipeline has no YARP passive-health
/// step of its own): a transport failure (no connection, a silence, a broken body) counts against the volunteer,
/// anything else as a request that went through, unless the customer left first. A volunteer it takes out is
/// logged once here, in one line (YARP's own line is silenced with the rest of <c>Yarp.ReverseProxy.Health</c>).
/// </summary>
public sealed partial class PassiveHealthReporter
{
    private static readonly AttemptError TransportFailure = new();

    private readonly Dictionary<string, IPassiveHealthCheckPolicy> _policies;
    private readonly IProxyStateLookup _proxyState;
    private readonly ILogger<PassiveHealthReporter> _logger;

    public PassiveHealthReporter(IEnumerable<IPassiveHealthCheckPolicy> policies, IProxyStateLookup proxyState, ILogger<PassiveHealthReporter> logger)
    {
        _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _proxyState = proxyState;
        _logger = logger;
    }

    /// <summary>Reports one attempt on <paramref name="volunteer"/>: a transport failure, or a request that went through.</summary>
    public void Report(HttpContext context, DestinationState volunteer, bool transportFailed)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(volunteer);
        if (!_proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster)
            || cluster.Model.Config.HealthCheck?.Passive is not { Enabled: true } passive
            || !_policies.TryGetValue(passive.Policy ?? "TransportFailureRate", out var policy)
            || !cluster.Destinations.TryGetValue(volunteer.DestinationId, out var destination))
        {
            return;
        }

        // YARP's policies read the outcome from the error feature (and ignore it once the customer left).
        var previous = context.Features.Get<IForwarderErrorFeature>();
        context.Features.Set<IForwarderErrorFeature?>(transportFailed ? TransportFailure : null);
        var before = destination.Health.Passive;
        try
        {
            // YARP's health updater sets the new state before this call returns.
            policy.RequestProxied(context, cluster, destination);
        }
        finally
        {
            context.Features.Set(previous);
        }

        if (before != DestinationHealth.Unhealthy && destination.Health.Passive == DestinationHealth.Unhealthy)
        {
            LogDown(_logger, destination.DestinationId, passive.ReactivationPeriod ?? TimeSpan.Zero);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} is down: too many of its proxied attempts failed in transport; tried again in {ReactivationPeriod}")]
    private static partial void LogDown(ILogger logger, string volunteer, TimeSpan reactivationPeriod);

    private sealed class AttemptError : IForwarderErrorFeature
    {
        public ForwarderError Error => ForwarderError.Request;

        public Exception? Exception => null;
    }
}
