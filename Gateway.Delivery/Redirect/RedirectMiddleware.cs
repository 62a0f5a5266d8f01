using Gateway.Delivery.Load;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Mirrors;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Redirect;

/// <summary>
/// Proxy-pipeline step after load balancing: on a redirect-mode route, answers with a redirect to the
/// chosen volunteer's URL for the file instead of forwarding. Small files are still proxied (a redirect
/// costs the customer a round trip); anything else passes on to the forwarder.
/// </summary>
public sealed class RedirectMiddleware(RequestDelegate next, IOptionsMonitor<GatewayOptions> options, DispatchLedger ledger, LoadEstimator estimator, GatewayMetrics metrics, MirrorLinks links)
{
    // A redirect is one choice for one request: caches must not replay it to other customers or later.
    private const string NoStore = "private, no-store";

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var download = context.Features.Get<DownloadFeature>();
        var proxy = context.GetReverseProxyFeature();
        if (download?.Entry is not { } entry
            || proxy.Cluster.Config.ClusterId != GatewayClusters.Volunteers
            || proxy.AvailableDestinations.Count == 0
            || !IsRedirectRoute(proxy.Route)
            || entry.Size < options.CurrentValue.SmallFileThreshold)
        {
            return next(context);
        }

        var destination = proxy.AvailableDestinations[0];
        proxy.ProxiedDestination = destination;
        // The redirect counts as load for as long as the transfer is expected to take, not until the next announce.
        ledger.RecordRedirect(destination.DestinationId, estimator.ExpectedTransfer(destination.DestinationId, entry.Size), entry.Size);
        metrics.RecordRequest(context, RequestOutcome.Redirected, destination.DestinationId);

        var response = context.Response;
        response.StatusCode = options.CurrentValue.RedirectStatus;
        var headers = response.Headers;
        headers.Location = string.Concat(destination.Model.Config.Address, entry.EscapedPath);
        headers["Repr-Digest"] = entry.ReprDigest;
        headers.CacheControl = NoStore;
        links.AddTo(headers, entry, destination, download.Candidates);
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static bool IsRedirectRoute(RouteModel route) =>
        route.Config.Metadata is { } metadata
        && metadata.TryGetValue(GatewayClusters.ModeMetadata, out var mode)
        && mode == nameof(DeliveryMode.Redirect);
}
