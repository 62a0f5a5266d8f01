using System.Diagnostics;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Proxy;
using Gateway.Delivery.Proxy.Attempts;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Tracing;

/// <summary>
/// The span of each proxy attempt (only when tracing is on): <see cref="AttemptLoop"/> opens one per attempt on a
/// volunteer and one for the origin, plain or verified, so the forwarded request (and the <c>traceparent</c> the
/// volunteer receives) is a child of its attempt.
/// </summary>
public sealed class AttemptTracer(GatewayActivities activities, IOptions<TelemetryOptions> telemetry)
{
    public const string AttemptSpan = "gateway.proxy.attempt";
    public const string OriginSpan = "gateway.origin";

    // A gateway without tracing makes no span, even when another listener in the process listens to the source.
    private readonly bool _enabled = telemetry.Value.Tracing.Enabled;

    /// <summary>Starts the span of an attempt on <paramref name="volunteer"/>; null when nobody traces.</summary>
    public Activity? StartAttempt(string volunteer)
    {
        var span = Start(AttemptSpan);
        span?.SetTag("gateway.volunteer", volunteer);
        return span;
    }

    /// <summary>
    /// Starts the span of the origin's attempt; <paramref name="fallback"/> when there were holders to try first
    /// (otherwise the origin was the plan: metadata, unheld, uncatalogued).
    /// </summary>
    public Activity? StartOrigin(bool fallback)
    {
        var span = Start(OriginSpan);
        span?.SetTag("gateway.fallback", fallback);
        return span;
    }

    /// <summary>Records how the attempt went and ends its span.</summary>
    public static void Stop(Activity? span, HttpContext context, in AttemptResult result)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("http.response.status_code", context?.Response.StatusCode);
        if (!result.Served)
        {
            span.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        span.Dispose();
    }

    private Activity? Start(string name) =>
        _enabled && activities.Source.HasListeners() ? activities.Source.StartActivity(name, ActivityKind.Internal) : null;
}
