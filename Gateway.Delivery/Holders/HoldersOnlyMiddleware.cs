using System.Diagnostics;
using Gateway.Core.Catalog;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Gateway.State.Setup;
using Gateway.State.Views;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Metrics;
using Gateway.Core.Paths;
using Gateway.Delivery.RequestPaths;
using Gateway.Core.Content;
using Gateway.Delivery.Verification;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Holders;

/// <summary>
/// Proxy-pipeline step before load balancing: narrows <c>AvailableDestinations</c> (already healthy, per
/// YARP's health checks) to the enabled volunteers that hold the requested content. A request with no
/// such volunteer, or for a path outside the catalog or for repository metadata, goes to the origin.
/// </summary>
public sealed class HoldersOnlyMiddleware(
    RequestDelegate next,
    CatalogState catalog,
    SwarmView swarm,
    VolunteerDirectory directory,
    OriginOnlyPaths originOnly,
    IProxyStateLookup proxyState,
    QuarantineList quarantine,
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
        var holders = swarm.HoldersOf(entry.ContentId);
        var available = proxy.AvailableDestinations;
        var usable = 0;
        foreach (var destination in available)
        {
            usable += IsUsableHolder(destination, holders) ? 1 : 0;
        }

        if (usable == 0)
        {
            return ToOrigin(context, next);
        }

        // A full mirror set is the common case: then YARP's own list serves as is, without a copy.
        IReadOnlyList<DestinationState> candidates = available;
        if (usable < available.Count)
        {
            var narrowed = new DestinationState[usable];
            var i = 0;
            foreach (var destination in available)
            {
                if (IsUsableHolder(destination, holders))
                {
                    narrowed[i++] = destination;
                }
            }

            candidates = narrowed;
        }

        download.Candidates = candidates;
        proxy.AvailableDestinations = candidates;
        metrics.RecordSelection(Stopwatch.GetElapsedTime(started));
        return next(context);
    }

    private bool IsUsableHolder(DestinationState destination, string[] holders) =>
        Array.IndexOf(holders, destination.DestinationId) >= 0 && directory.Find(destination.DestinationId) is { Enabled: true }
        && !quarantine.Contains(destination.DestinationId);

    private Task ToOrigin(HttpContext context, RequestDelegate nextStep)
    {
        if (proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
        {
            context.ReassignProxyRequest(origin);
        }

        return nextStep(context);
    }
}
