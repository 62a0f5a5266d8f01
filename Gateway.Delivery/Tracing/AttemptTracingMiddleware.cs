using System.Diagnostics;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Metrics;
using Gateway.Core.Paths;
using Gateway.Delivery.RequestPaths;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy.Forwarder;
using Gateway.Delivery.Availability;

namespace Gateway.Delivery.Tracing;

/// <summary>
/// Proxy-pipeline step between failover and the forwarder (only when tracing is on): failover calls it
/// once per attempt, so each attempt on a volunteer, and the origin fallback, is its own span. The
/// forwarded request (and the <c>traceparent</c> the volunteer receives) is a child of that span.
/// </summary>
public sealed class AttemptTracingMiddleware(RequestDelegate next, GatewayActivities activities)
{
    public const string AttemptSpan = "gateway.proxy.attempt";
    public const string OriginSpan = "gateway.origin";

    public Task InvokeAsync(HttpContext context) =>
        activities.Source.HasListeners() ? TracedAsync(context) : next(context);

    private async Task TracedAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var download = context.Features.Get<DownloadFeature>();
        var toOrigin = proxy.Cluster.Config.ClusterId == GatewayClusters.Origin;
        using var span = activities.Source.StartActivity(toOrigin ? OriginSpan : AttemptSpan, ActivityKind.Internal);
        if (span is not null)
        {
            if (toOrigin)
            {
                // A fallback when there were holders to try first; otherwise the origin was the plan (metadata, unheld, uncatalogued).
                span.SetTag("gateway.fallback", download?.Candidates is not null);
            }
            else if (proxy.AvailableDestinations.Count > 0)
            {
                span.SetTag("gateway.volunteer", proxy.AvailableDestinations[0].DestinationId);
            }
        }

        await next(context).ConfigureAwait(false);
        if (span is not null)
        {
            span.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.GetForwarderErrorFeature() is { Error: not ForwarderError.None } error)
            {
                span.SetStatus(ActivityStatusCode.Error, error.Error.ToString());
            }
            else if (download?.VolunteerFailed == true)
            {
                span.SetStatus(ActivityStatusCode.Error, $"volunteer answered {context.Response.StatusCode}");
            }
        }
    }
}
