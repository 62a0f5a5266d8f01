using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Core.Telemetry;

/// <summary>
/// Wires OpenTelemetry: every <c>Gateway*</c> meter exported at <c>/metrics</c> in Prometheus format, and,
/// when <c>Telemetry:Tracing:Enabled</c>, every <c>Gateway*</c> activity source exported over OTLP.
/// </summary>
/// <remarks>
/// A part that lands later (tracker, Redis store, agent, verification) creates its own meter and activity
/// source under one of the reserved names below; the wildcard already exports it, no change here needed.
/// </remarks>
public static class GatewayTelemetry
{
    /// <summary>The gateway's request path and state gauges (<c>gateway.*</c> instruments).</summary>
    public const string MeterName = "Gateway";

    /// <summary>Reserved for the tracker: announces by result, torrents and peers tracked (<c>tracker.*</c> instruments).</summary>
    public const string TrackerMeterName = "Gateway.Tracker";

    /// <summary>Reserved for the store implementations: connection state, command latency, pub/sub lag (<c>gateway.store.*</c>).</summary>
    public const string StoreMeterName = "Gateway.Store";

    /// <summary>Reserved for verification and quarantine: digest mismatches, volunteers quarantined (<c>gateway.verification.*</c>).</summary>
    public const string VerificationMeterName = "Gateway.Verification";

    /// <summary>The gateway's spans: catalog lookup, selection, proxy attempts, origin fallback.</summary>
    public const string ActivitySourceName = "Gateway";

    private static readonly string[] Meters =
    [
        MeterName, "Gateway.*",

        // ASP.NET Core's request duration (response time, tagged with gateway.mode and gateway.outcome),
        // Kestrel's connections and HttpClient's outgoing requests. Not the runtime meter:
        // its dotnet_*_count gauges fail promtool's naming lint, and process metrics are the node exporter's job.
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http",
    ];

    private static readonly string[] Sources =
    [
        ActivitySourceName, "Gateway.*",

        // The server span of each request (parent of ours) and the client span of each forwarded request
        // (child of a proxy attempt; the traceparent a volunteer receives names it).
        "Microsoft.AspNetCore", "System.Net.Http", "Yarp.ReverseProxy",
    ];

    /// <summary>Registers metrics (always) and tracing (when enabled) from the <c>Telemetry</c> section.</summary>
    public static void AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(TelemetryOptions.Section);
        services.AddOptions<TelemetryOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        services.AddSingleton<GatewayActivities>();

        // Tracing is decided once at start: with no listener, StartActivity returns null and costs nothing per request.
        var tracing = section.GetSection(nameof(TelemetryOptions.Tracing)).Get<TracingOptions>() ?? new TracingOptions();
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("gateway"))
            .WithMetrics(metrics => metrics
                .AddMeter(Meters)
                .AddPrometheusExporter());
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) => metrics.AddView(OnlyThisHost(sp.GetRequiredService<IMeterFactory>())));
        if (tracing.Enabled)
        {
            otel.WithTracing(traces =>
            {
                traces.AddSource(Sources).SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)));
                if (tracing.Exporter == TraceExporter.Otlp)
                {
                    traces.AddOtlpExporter(otlp =>
                    {
                        if (!string.IsNullOrEmpty(tracing.OtlpEndpoint))
                        {
                            otlp.Endpoint = new Uri(tracing.OtlpEndpoint);
                        }

                        otlp.Protocol = tracing.OtlpProtocol == OtlpTransport.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    });
                }
            });
        }
    }

    /// <summary>
    /// Keeps instruments made by another host's meter factory out of this host's export. Meter listeners are
    /// process-wide: without this, two gateways in one process (the tests, or an embedding app) would each
    /// count the other's requests under the same names.
    /// </summary>
    public static Func<Instrument, MetricStreamConfiguration?> OnlyThisHost(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory scope && !ReferenceEquals(scope, own) ? MetricStreamConfiguration.Drop : null;

    /// <summary>Maps the Prometheus scrape endpoint at <c>Telemetry:MetricsPath</c>.</summary>
    public static void MapGatewayMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var path = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsPath;
        app.MapPrometheusScrapingEndpoint(path).ShortCircuit();
    }
}

/// <summary>The gateway's <see cref="ActivitySource"/>, one per host, disposed with it.</summary>
public sealed class GatewayActivities : IDisposable
{
    public ActivitySource Source { get; } = new(GatewayTelemetry.ActivitySourceName);

    public void Dispose() => Source.Dispose();
}
