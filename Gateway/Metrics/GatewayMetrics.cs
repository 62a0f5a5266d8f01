using System.Diagnostics.Metrics;

namespace Gateway.Metrics;

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

/// <summary>The gateway's instruments, on the <c>Gateway</c> meter (exported by the operations issue's Prometheus endpoint).</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _failovers;
    private readonly Histogram<double> _selection;
    private readonly Counter<long> _altered;

    public GatewayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.requests", "{request}", "Customer requests by outcome and volunteer");
        _failovers = meter.CreateCounter<long>("gateway.proxy.failovers", "{attempt}", "Proxy attempts that failed before the first byte and were retried elsewhere");
        _altered = meter.CreateCounter<long>("gateway.verify.altered", "{response}", "Responses whose bytes did not match the catalog (volunteer, or 'origin')");
        _selection = meter.CreateHistogram<double>("gateway.selection.duration", "s", "Time to choose a volunteer (holders narrowing and policy)");
    }

    public void RecordRequest(RequestOutcome outcome, string? volunteer) =>
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)), new KeyValuePair<string, object?>("volunteer", volunteer ?? "none"));

    public void RecordFailover(string volunteer) => _failovers.Add(1, new KeyValuePair<string, object?>("volunteer", volunteer));

    public void RecordAlteredBytes(string source) => _altered.Add(1, new KeyValuePair<string, object?>("volunteer", source));

    public void RecordSelection(TimeSpan elapsed) => _selection.Record(elapsed.TotalSeconds);

    internal static string OutcomeName(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Redirected => "redirected",
        RequestOutcome.Proxied => "proxied",
        RequestOutcome.Origin => "origin",
        RequestOutcome.Rejected => "rejected",
        _ => "failed",
    };
}
