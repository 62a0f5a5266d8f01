using System.Diagnostics;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Metrics;

namespace Gateway.Delivery.Tracing;

/// <summary>
/// Proxy-pipeline step right after load balancing (only when tracing is on): tags the selection span with
/// the candidates and the choice, and closes it, so proxy attempts become siblings of it, not children.
/// </summary>
public sealed class ChoiceTracingMiddleware(RequestDelegate next, GatewayActivities activities)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Activity.Current is { } selection && selection.Source == activities.Source && selection.OperationName == SelectionTracingMiddleware.SelectionSpan)
        {
            var proxy = context.GetReverseProxyFeature();
            var candidates = context.Features.Get<DownloadFeature>()?.Candidates;
            var toVolunteer = proxy.Cluster.Config.ClusterId == GatewayClusters.Volunteers && proxy.AvailableDestinations.Count > 0;
            selection.SetTag("gateway.candidates", candidates is null ? Array.Empty<string>() : candidates.Select(c => c.DestinationId).ToArray());
            selection.SetTag("gateway.candidates.count", candidates?.Count ?? 0);
            selection.SetTag("gateway.policy", proxy.Cluster.Config.LoadBalancingPolicy);
            selection.SetTag("gateway.choice", toVolunteer ? proxy.AvailableDestinations[0].DestinationId : GatewayClusters.Origin);
            selection.SetTag("gateway.mode", GatewayMetrics.ModeOf(context));
            selection.Stop();
        }

        return next(context);
    }
}
