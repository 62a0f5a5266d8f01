using System.Diagnostics;
using Gateway.Core.Catalog;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Metrics;
using Yarp.ReverseProxy;

namespace Gateway.Delivery.Holders;

/// <summary>
/// Proxy-pipeline step before load balancing: narrows <c>AvailableDestinations</c> (already healthy, per
/// YARP's health checks) to the usable holders of the requested content, as <see cref="VolunteerState"/> judges
/// them. A request with no such volunteer, or for a path outside the catalog or for repository metadata, goes to the origin.
/// </summary>
public sealed class HoldersOnlyMiddleware(
    RequestDelegate next,
    CatalogState catalog,
    VolunteerState volunteers,
    OriginOnlyPaths originOnly,
    IProxyStateLookup proxyState,
    GatewayMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var download = context.Features.Get<DownloadFeature>();
        var proxy = context.GetReverseProxyFeature();
        if (download is null || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            return ToOrigin(context, next);
        }

        var entry = catalog.Current.Find(download.Path);
        if (entry is null || originOnly.Matches(download.Path))
        {
            return ToOrigin(context, next);
        }

        download.Entry = entry;
        var candidates = volunteers.UsableHolders(entry.ContentId, proxy.AvailableDestinations);
        if (candidates.Count == 0)
        {
            return ToOrigin(context, next);
        }

        download.Candidates = candidates;
        proxy.AvailableDestinations = candidates;
        metrics.RecordSelection(Stopwatch.GetElapsedTime(started));
        return next(context);
    }

    private Task ToOrigin(HttpContext context, RequestDelegate nextStep)
    {
        if (proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
        {
            context.ReassignProxyRequest(origin);
        }

        return nextStep(context);
    }
}
