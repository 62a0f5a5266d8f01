using Microsoft.Extensions.Options;

namespace Gateway.Core.Telemetry;

/// <summary>Where traces go (section <c>Telemetry:Tracing:Exporter</c>).</summary>
public enum TraceExporter
{
    /// <summary>OpenTelemetry protocol to a collector (Jaeger, Tempo, the OpenTelemetry Collector).</summary>
    Otlp,

    /// <summary>Spans are made but only in-process listeners see them (tests, or a debugger).</summary>
    None,
}

/// <summary>OTLP transport (section <c>Telemetry:Tracing:OtlpProtocol</c>).</summary>
public enum OtlpTransport
{
    /// <summary>gRPC, usually port 4317.</summary>
    Grpc,

    /// <summary>HTTP with protobuf bodies, usually port 4318 and path <c>/v1/traces</c>.</summary>
    HttpProtobuf,
}

/// <summary>Traces (section <c>Telemetry:Tracing</c>); off by default.</summary>
public sealed class TracingOptions
{
    public bool Enabled { get; set; }

    public TraceExporter Exporter { get; set; } = TraceExporter.Otlp;

    /// <summary>Collector URL; empty uses OTEL_EXPORTER_OTLP_ENDPOINT or OpenTelemetry's default (http://localhost:4317).</summary>
    public string? OtlpEndpoint { get; set; }

    public OtlpTransport OtlpProtocol { get; set; } = OtlpTransport.Grpc;

    /// <summary>Share of new traces recorded (0–1); a request that arrives with a sampled parent is always recorded.</summary>
    public double SampleRatio { get; set; } = 1.0;
}

/// <summary>Metrics and traces (section <c>Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    public TracingOptions Tracing { get; set; } = new();
}

internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.MetricsPath) || options.MetricsPath[0] != '/' || options.MetricsPath.Length == 1)
        {
            errors.Add($"Telemetry:MetricsPath '{options.MetricsPath}' must be a path below '/', e.g. '/metrics'.");
        }

        var tracing = options.Tracing;
        if (!string.IsNullOrEmpty(tracing.OtlpEndpoint)
            && !(Uri.TryCreate(tracing.OtlpEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            errors.Add($"Telemetry:Tracing:OtlpEndpoint '{tracing.OtlpEndpoint}' must be an absolute http(s) URL, e.g. 'http://collector:4317'.");
        }

        if (tracing.SampleRatio is < 0 or > 1 || double.IsNaN(tracing.SampleRatio))
        {
            errors.Add($"Telemetry:Tracing:SampleRatio {tracing.SampleRatio} must be between 0 and 1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
