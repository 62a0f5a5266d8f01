using Gateway.Delivery.Health;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Delivery.Cluster;

/// <summary>Builds YARP's routes and clusters from appsettings: volunteers are one cluster's destinations, the origin another.</summary>
public static class ProxyConfigFactory
{
    public static IReadOnlyList<RouteConfig> BuildRoutes(GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);

        // Under a path base the routes match only below it, and the origin is asked for the path relative to it
        // (Origin:Url names where the repository lives there): /debian/pool/x goes to <Origin:Url>pool/x.
        var pathBase = gateway.NormalizedPathBase;
        IReadOnlyList<IReadOnlyDictionary<string, string>>? transforms = pathBase.Length == 0
            ? null
            : [new Dictionary<string, string> { ["PathRemovePrefix"] = pathBase }];
        var routes = new List<RouteConfig>
        {
            new()
            {
                RouteId = "downloads",
                ClusterId = GatewayClusters.Volunteers,
                Order = 1000,
                Match = new RouteMatch { Path = pathBase + "/{**path}" },
                Metadata = new Dictionary<string, string> { [GatewayClusters.ModeMetadata] = gateway.Mode.ToString() },
                Transforms = transforms,
            },
        };
        for (var i = 0; i < gateway.Routes.Count; i++)
        {
            var route = gateway.Routes[i];
            routes.Add(new RouteConfig
            {
                RouteId = $"downloads-{i}",
                ClusterId = GatewayClusters.Volunteers,

                // Longer prefixes are more specific: give them the lower (earlier) order.
                Order = 1000 - route.PathPrefix.Length,
                Match = new RouteMatch { Path = pathBase + route.PathPrefix.TrimEnd('/') + "/{**path}" },
                Metadata = new Dictionary<string, string> { [GatewayClusters.ModeMetadata] = route.Mode.ToString() },
                Transforms = transforms,
            });
        }

        return routes;
    }

    public static IReadOnlyList<ClusterConfig> BuildClusters(
        VolunteerSetOptions volunteers, OriginOptions origin, HealthOptions health, ProxyOptions proxy, SelectionOptions selection)
    {
        ArgumentNullException.ThrowIfNull(volunteers);
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(selection);
        var request = new ForwarderRequestConfig { ActivityTimeout = proxy.ActivityTimeout };
        var volunteerCluster = new ClusterConfig
        {
            ClusterId = GatewayClusters.Volunteers,
            LoadBalancingPolicy = selection.Policy,
            HttpRequest = request,
            Destinations = volunteers.Members.ToDictionary(
                v => v.Id,
                v => new DestinationConfig
                {
                    Address = VolunteerDirectory.NormalizeBase(v.Url).ToString(),
                    Metadata = new Dictionary<string, string> { ["Weight"] = v.EffectiveWeight.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                },
                StringComparer.Ordinal),
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = health.ActiveEnabled,
                    Interval = health.Interval,
                    Timeout = health.Timeout,
                    Policy = LoggedProbePolicy.PolicyName,
                    Path = health.Path,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = health.PassiveEnabled,
                    Policy = "TransportFailureRate",
                    ReactivationPeriod = health.ReactivationPeriod,
                },
                AvailableDestinationsPolicy = "HealthyAndUnknown",
            },
            Metadata = new Dictionary<string, string>
            {
                ["ConsecutiveFailuresHealthPolicy.Threshold"] = health.ConsecutiveFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        if (!origin.IsConfigured)
        {
            // No origin (an Apache-style balancer): nothing may fall back to one, so there is no cluster to fall back to.
            return [volunteerCluster];
        }

        var originCluster = new ClusterConfig
        {
            ClusterId = GatewayClusters.Origin,
            HttpRequest = request,
            Destinations = new Dictionary<string, DestinationConfig>
            {
                [GatewayClusters.OriginDestinationId] = new() { Address = VolunteerDirectory.NormalizeBase(origin.Url).ToString() },
            },
        };
        return [volunteerCluster, originCluster];
    }
}
