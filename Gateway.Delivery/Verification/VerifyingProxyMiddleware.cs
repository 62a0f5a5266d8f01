using Gateway.Core.Paths;
using Gateway.Delivery.RequestPaths;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Gateway.Core.Content;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Quarantine;

namespace Gateway.Delivery.Verification;

/// <summary>
/// Proxy-pipeline step before the forwarder: with <c>Verify:Proxy</c> on, a GET for a published file that is
/// to be proxied from a volunteer goes through <see cref="VerifyingForwarder"/> instead of YARP's forwarder.
/// Off, or for anything else (metadata, the origin, HEAD), the request passes on untouched.
/// </summary>
public sealed class VerifyingProxyMiddleware(
    RequestDelegate next,
    IOptionsMonitor<VerifyOptions> options,
    VerifyingForwarder forwarder,
    IProxyStateLookup proxyState)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var verify = options.CurrentValue;
        if (!verify.Proxy)
        {
            return next(context);
        }

        var download = context.Features.Get<DownloadFeature>();
        var proxy = context.GetReverseProxyFeature();
        if (download?.Entry is not { } entry
            || download.Candidates is null
            || proxy.AvailableDestinations.Count == 0
            || proxy.Cluster.Config.ClusterId != GatewayClusters.Volunteers
            || !HttpMethods.IsGet(context.Request.Method))
        {
            return next(context);
        }

        if (!ChunkLayout.TryCreate(entry, verify.MaxWholeFileBytes, out var layout))
        {
            // Too large to hold whole and published without chunk hashes: the origin (trusted) serves it,
            // rather than a volunteer's unverified bytes.
            if (proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
            {
                context.ReassignProxyRequest(origin);
            }

            return next(context);
        }

        return forwarder.ForwardAsync(context, entry, layout, proxy.AvailableDestinations[0], download.Candidates);
    }
}
