using System.Collections.Concurrent;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// Proxy-pipeline step just before YARP's forwarder: a member with its own Apache <c>timeout</c> gets it as the
/// attempt's activity timeout. YARP reads the timeout from the request's cluster model, one per cluster, so the
/// attempt runs with a view of the request's proxy feature whose cluster model differs only in
/// <see cref="ForwarderRequestConfig.ActivityTimeout"/> (same HTTP client, same connections; everything else is
/// read from and written to the real feature). The real feature is put back afterwards, so failover and the
/// origin fallback see it unchanged.
/// </summary>
public sealed class MemberTimeoutMiddleware(RequestDelegate next, BalancerMembers members)
{
    private Variants _variants = new(null, new ConcurrentDictionary<TimeSpan, ClusterModel>());

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proxy = context.GetReverseProxyFeature();
        var cluster = proxy.Cluster;
        if (cluster.Config.ClusterId != GatewayClusters.Volunteers
            || proxy.AvailableDestinations.Count == 0
            || members.Find(proxy.AvailableDestinations[0].DestinationId) is not { Timeout: { } timeout })
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Features.Set<IReverseProxyFeature>(new ClusterOverride(proxy, WithTimeout(cluster, timeout)));
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(proxy);
        }
    }

    private ClusterModel WithTimeout(ClusterModel cluster, TimeSpan timeout)
    {
        // A configuration reload makes a new cluster model (maybe with a new HTTP client): start a new set of variants.
        var variants = Volatile.Read(ref _variants);
        if (!ReferenceEquals(variants.Source, cluster))
        {
            variants = new Variants(cluster, new ConcurrentDictionary<TimeSpan, ClusterModel>());
            Volatile.Write(ref _variants, variants);
        }

        return variants.ByTimeout.GetOrAdd(timeout, static (t, c) => new ClusterModel(
            c.Config with { HttpRequest = (c.Config.HttpRequest ?? ForwarderRequestConfig.Empty) with { ActivityTimeout = t } },
            c.HttpClient), cluster);
    }

    /// <summary>The request's proxy feature with another cluster model; destinations stay the real feature's.</summary>
    private sealed class ClusterOverride(IReverseProxyFeature inner, ClusterModel cluster) : IReverseProxyFeature
    {
        public RouteModel Route => inner.Route;

        public ClusterModel Cluster => cluster;

        public IReadOnlyList<DestinationState> AllDestinations => inner.AllDestinations;

        public IReadOnlyList<DestinationState> AvailableDestinations
        {
            get => inner.AvailableDestinations;
            set => inner.AvailableDestinations = value;
        }

        public DestinationState? ProxiedDestination
        {
            get => inner.ProxiedDestination;
            set => inner.ProxiedDestination = value;
        }
    }

    private sealed record Variants(ClusterModel? Source, ConcurrentDictionary<TimeSpan, ClusterModel> ByTimeout);
}
