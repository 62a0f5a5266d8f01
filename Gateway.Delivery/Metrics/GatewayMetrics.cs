using System.Diagnostics.Metrics;
using Gateway.Core.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Metrics;

/// <summary>How a customer request ended, as counted in <c>gateway.requests</c>.</summary>
public enum RequestOutcome
{
    /// <summary>Answered with a redirect to a volunteer.</summary>
    Redirected,

    /// <summary>Streamed through from a volunteer.</summary>
    Proxied,

    /// <summary>Served by the origin (not in the catalog, metadata, or no healthy holder).</summary>
    Origin,

    /// <summary>Refused (hostile or malformed path).</summary>
    Rejected,

    /// <summary>Neither a volunteer nor the origin could serve it.</summary>
    Failed,
}

/// <summary>
/// The gateway's per-request instruments, on the <c>Gateway</c> meter, exported at <c>/metrics</c>
/// (see <see cref="GatewayTelemetry"/>). Each call adds to a counter or histogram with at most three tags,
/// which OpenTelemetry records without allocating.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = GatewayTelemetry.MeterName;

    /// <summary>Tag names on <c>http.server.request.duration</c> (ASP.NET Core's own histogram), so response time splits by mode and outcome.</summary>
    public const string ModeTag = "gateway.mode";

    public const string OutcomeTag = "gateway.outcome";

    // Selection is a dictionary lookup and a few comparisons: microseconds, not the default buckets' milliseconds to seconds.
    private static readonly double[] SelectionBuckets = [0.000_001, 0.000_002_5, 0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.01];

    private readonly Counter<long> _requests;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _delivered;
    private readonly Histogram<double> _selection;
    private readonly Counter<long> _altered;
    private readonly Counter<long> _rangeIgnored;

    public GatewayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.requests", "{request}", "Customer requests by delivery mode, outcome and volunteer");
        _failovers = meter.CreateCounter<long>("gateway.proxy.failovers", "{attempt}", "Proxy attempts that failed before the first byte and were retried elsewhere");
        _altered = meter.CreateCounter<long>("gateway.verify.altered", "{response}", "Responses whose bytes did not match the catalog (volunteer, or 'origin')");
        _rangeIgnored = meter.CreateCounter<long>("gateway.verify.range_ignored", "{response}", "Range requests a source answered with the whole file (read from the start and sliced), by volunteer (or 'origin')");
        _delivered = meter.CreateCounter<long>(
            "gateway.delivered",
            "By",
            "Bytes delivered to customers by source (volunteer or origin): streamed bytes of completed proxied and origin responses; the catalog size of each redirected file");
        _selection = meter.CreateHistogram<double>(
            "gateway.selection.duration",
            "s",
            "Time to choose a volunteer (holders narrowing and policy)",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SelectionBuckets });
    }

    /// <summary>Counts one finished customer request and, for a delivered file, its bytes by source.</summary>
    /// <remarks>
    /// Called once per request when its outcome is known: a redirect before its (empty) response is
    /// written, everything else after the response completed, so the response's Content-Length is what
    /// was streamed. A redirected file counts its catalog size as volunteer bytes: the gateway never sees
    /// the transfer, and a customer that follows the redirect fetches the whole file in the common case.
    /// </remarks>
    public void RecordRequest(HttpContext context, RequestOutcome outcome, string? volunteer)
    {
        ArgumentNullException.ThrowIfNull(context);
        var mode = ModeOf(context);
        var outcomeName = OutcomeName(outcome);
        _requests.Add(
            1,
            new KeyValuePair<string, object?>("mode", mode),
            new KeyValuePair<string, object?>("outcome", outcomeName),
            new KeyValuePair<string, object?>("volunteer", volunteer ?? "none"));

        // Response time by mode and outcome: the tags ride on ASP.NET Core's request duration histogram.
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
        {
            tags.Tags.Add(new KeyValuePair<string, object?>(ModeTag, mode));
            tags.Tags.Add(new KeyValuePair<string, object?>(OutcomeTag, outcomeName));
        }

        var bytes = DeliveredBytes(context, outcome);
        if (bytes > 0)
        {
            _delivered.Add(
                bytes,
                new KeyValuePair<string, object?>("source", outcome == RequestOutcome.Origin ? "origin" : "volunteer"),
                new KeyValuePair<string, object?>("mode", mode),
                new KeyValuePair<string, object?>("volunteer", volunteer ?? "none"));
        }
    }

    public void RecordFailover(string volunteer) => _failovers.Add(1, new KeyValuePair<string, object?>("volunteer", volunteer));

    public void RecordAlteredBytes(string source) => _altered.Add(1, new KeyValuePair<string, object?>("volunteer", source));

    public void RecordRangeIgnored(string source) => _rangeIgnored.Add(1, new KeyValuePair<string, object?>("volunteer", source));

    public void RecordSelection(TimeSpan elapsed) => _selection.Record(elapsed.TotalSeconds);

    internal static string OutcomeName(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Redirected => "redirected",
        RequestOutcome.Proxied => "proxied",
        RequestOutcome.Origin => "origin",
        RequestOutcome.Rejected => "rejected",
        _ => "failed",
    };

    /// <summary>The delivery mode of the route the request matched: <c>redirect</c>, <c>proxy</c>, or <c>none</c> before routing (a rejected path).</summary>
    internal static string ModeOf(HttpContext context) =>
        context.Features.Get<IReverseProxyFeature>()?.Route.Config.Metadata is { } metadata && metadata.TryGetValue(GatewayClusters.ModeMetadata, out var mode)
            ? mode == nameof(DeliveryMode.Proxy) ? "proxy" : "redirect"
            : "none";

    private static long DeliveredBytes(HttpContext context, RequestOutcome outcome)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return 0;
        }

        return outcome switch
        {
            RequestOutcome.Redirected => context.Features.Get<DownloadFeature>()?.Entry?.Size ?? 0,
            RequestOutcome.Proxied or RequestOutcome.Origin when context.Response.StatusCode is >= 200 and < 300 => context.Response.ContentLength ?? 0,
            _ => 0,
        };
    }
}
