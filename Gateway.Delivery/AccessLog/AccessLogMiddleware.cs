using System.Diagnostics;
using Gateway.Delivery.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.AccessLog;

/// <summary>
/// Outermost middleware (registered only when <c>AccessLog:Enabled</c>): after each request, queues one
/// combined-format line with the volunteer that served or was redirected to, and the outcome.
/// </summary>
public sealed class AccessLogMiddleware(RequestDelegate next, AccessLogWriter writer, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = time.GetUtcNow();
        var timestamp = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            writer.Enqueue(AccessLogLine.Format(Describe(context, started, Stopwatch.GetElapsedTime(timestamp))));
        }
    }

    private static AccessLogEntry Describe(HttpContext context, DateTimeOffset started, TimeSpan duration)
    {
        var request = context.Request;
        var response = context.Response;
        var outcome = OutcomeOf(context);
        return new AccessLogEntry(
            context.Connection.RemoteIpAddress?.ToString() ?? "-",
            started,
            request.Method,
            context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/",
            request.Protocol,
            response.StatusCode,
            HttpMethods.IsHead(request.Method) ? null : response.ContentLength,
            request.Headers.Referer,
            request.Headers.UserAgent,
            VolunteerOf(context, outcome),
            outcome,
            duration,
            context.Features.Get<DownloadFeature>()?.Attempts is { Count: > 0 } attempts ? string.Join(',', attempts) : null);
    }

    /// <summary>
    /// The volunteer that served the customer: the last attempt that passed bytes on (verified proxying and failover
    /// included), else the redirect's or the forwarder's destination; none when the origin served.
    /// </summary>
    private static string? VolunteerOf(HttpContext context, string? outcome)
    {
        if (outcome == GatewayMetrics.OutcomeName(RequestOutcome.Origin))
        {
            return null;
        }

        if (context.Features.Get<DownloadFeature>()?.ServedBy is { } served)
        {
            return served;
        }

        return context.Features.Get<IReverseProxyFeature>() is { } proxy && proxy.Cluster.Config.ClusterId == GatewayClusters.Volunteers
            ? proxy.ProxiedDestination?.DestinationId
            : null;
    }

    /// <summary>The outcome <see cref="GatewayMetrics.RecordRequest"/> counted; none for the gateway's own endpoints.</summary>
    private static string? OutcomeOf(HttpContext context)
    {
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
        {
            foreach (var tag in tags.Tags)
            {
                if (tag.Key == GatewayMetrics.OutcomeTag)
                {
                    return tag.Value as string;
                }
            }
        }

        return null;
    }
}
