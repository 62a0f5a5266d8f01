using System.Diagnostics;
using Gateway.Core.Catalog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Metrics;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;

namespace Gateway.Delivery.Holders;

/// <summary>
/// Proxy-pipeline step before load balancing: narrows <c>AvailableDestinations</c> (already healthy, per
/// YARP's health checks) to the volunteers that may serve the request, as <see cref="VolunteerState"/> judges them.
/// A catalog file goes to its usable holders (none: the origin). Any other path is balanced among all usable
/// volunteers, as by an Apache balancer, when there is no catalog, when its route says
/// <see cref="UncataloguedPaths.Balancer"/>, or when there is no origin to send it to; otherwise (and for repository
/// metadata and non-GET requests while an origin is configured) it goes to the origin.
/// </summary>
public sealed class HoldersOnlyMiddleware(
    RequestDelegate next,
    CatalogState catalog,
    VolunteerState volunteers,
    OriginOnlyPaths originOnly,
    IProxyStateLookup proxyState,
    IOptionsMonitor<CatalogOptions> catalogOptions,
    IOptionsMonitor<OriginOptions> originOptions,
    IOptionsMonitor<GatewayOptions> gatewayOptions,
    IOptionsMonitor<ProxyOptions> proxyOptions,
    GatewayMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var download = context.Features.Get<DownloadFeature>();
        var proxy = context.GetReverseProxyFeature();
        var hasOrigin = originOptions.CurrentValue.IsConfigured;
        var readOnly = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        if (download is null)
        {
            return hasOrigin ? ToOrigin(context, next) : next(context);
        }

        var metadata = hasOrigin && originOnly.Matches(download.Path);
        var entry = readOnly && !metadata ? catalog.Current.Find(download.Path) : null;
        IReadOnlyList<Yarp.ReverseProxy.Model.DestinationState> candidates;
        if (entry is not null)
        {
            download.Entry = entry;
            candidates = volunteers.UsableHolders(entry.ContentId, proxy.AvailableDestinations);
        }
        else if (!hasOrigin || (readOnly && !metadata && IsBalanced(download.Path)))
        {
            candidates = volunteers.UsableMembers(proxy.AvailableDestinations);
            if (candidates.Count == 0 && (!hasOrigin || proxyOptions.CurrentValue.ErrorSemantics == ErrorSemantics.Apache))
            {
                // Apache's answer when no member is usable (mod_proxy_balancer's pre_request): 503, never the origin.
                return ApacheAnswers.NoUsableMember(context);
            }
        }
        else
        {
            return ToOrigin(context, next);
        }

        if (candidates.Count == 0)
        {
            return ToOrigin(context, next);
        }

        download.Candidates = candidates;
        proxy.AvailableDestinations = candidates;
        metrics.RecordSelection(Stopwatch.GetElapsedTime(started));
        return next(context);
    }

    /// <summary>A path outside the catalog is balanced without a catalog, or when its route (or the default) says so.</summary>
    private bool IsBalanced(string path) =>
        !catalogOptions.CurrentValue.IsConfigured || gatewayOptions.CurrentValue.UncataloguedPathsFor(path) == UncataloguedPaths.Balancer;

    private Task ToOrigin(HttpContext context, RequestDelegate nextStep)
    {
        if (proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
        {
            context.ReassignProxyRequest(origin);
        }

        return nextStep(context);
    }
}
