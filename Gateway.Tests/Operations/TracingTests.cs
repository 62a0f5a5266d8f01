using System.Diagnostics;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Tracing;
using Gateway.Tests.Infrastructure;
using OpenTelemetry.Trace;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.Operations;

public sealed class TracingTests
{
    private static readonly string[] Holders = ["v1", "v2"];

    [Fact]
    public async Task One_proxied_request_makes_lookup_selection_attempt_and_origin_spans_in_one_trace_and_the_volunteer_receives_its_traceparent()
    {
        // Activity listeners are process-wide: other tests' gateways may add spans here, so this test keeps only its own trace.
        var exported = new List<Activity>();
        await using var s = await StartAsync(
            builder => builder.Services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(exported)),
            "--Gateway:Mode=Proxy", "--Health:PassiveEnabled=false", "--Selection:Seed=3",
            "--Telemetry:Tracing:Enabled=true", "--Telemetry:Tracing:Exporter=None");
        await s.Gateway.HoldAsync("v1", Big);
        await s.Gateway.HoldAsync("v2", Big);
        s.Gateway["v1"].Behavior = VolunteerBehavior.Fail500;
        s.Gateway["v2"].Behavior = VolunteerBehavior.Fail500;

        using (var response = await s.Gateway.Client.GetAsync(Big))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(s.Repository.Read(Big), await response.Content.ReadAsByteArrayAsync());
        }

        // Both holders were tried (each saw a traceparent of the same trace), then the origin served.
        var received = s.Gateway["v1"].TraceParents.Concat(s.Gateway["v2"].TraceParents).ToArray();
        Assert.Equal(2, received.Length);
        var traceIds = received.Select(t => ActivityContext.Parse(t, null).TraceId).Distinct().ToArray();
        var traceId = Assert.Single(traceIds);

        Activity[] spans = [];
        await Eventually.HoldsAsync(
            () =>
            {
                // The exporter adds from the thread that ends a span; ToArray copies without enumerating.
                spans = [.. exported.ToArray().Where(a => a is not null && a.TraceId == traceId)];

                return GatewayServerSpan(spans) is not null;
            },
            TimeSpan.FromSeconds(10),
            () => string.Join(", ", spans.Select(a => a.OperationName)));

        var ours = spans.Where(a => a.Source.Name == GatewayTelemetry.ActivitySourceName).ToArray();
        var lookup = Assert.Single(ours, a => a.OperationName == SelectionTracingMiddleware.LookupSpan);
        Assert.Equal(true, lookup.GetTagItem("gateway.catalog.found"));
        var selection = Assert.Single(ours, a => a.OperationName == SelectionTracingMiddleware.SelectionSpan);
        Assert.Equal(Holders, ((string[])selection.GetTagItem("gateway.candidates")!).Order());
        Assert.Contains((string)selection.GetTagItem("gateway.choice")!, Holders);
        var attempts = ours.Where(a => a.OperationName == AttemptTracer.AttemptSpan).ToArray();
        Assert.Equal(Holders, attempts.Select(a => (string)a.GetTagItem("gateway.volunteer")!).Order());
        Assert.All(attempts, a => Assert.Equal(ActivityStatusCode.Error, a.Status));
        var origin = Assert.Single(ours, a => a.OperationName == AttemptTracer.OriginSpan);
        Assert.Equal(true, origin.GetTagItem("gateway.fallback"));

        // One tree: every span of ours hangs below the request's server span, and each traceparent a
        // volunteer received names a span made inside one of the attempts.
        var server = GatewayServerSpan(spans)!;
        Assert.All(ours, a => Assert.True(IsBelow(a, server.SpanId, spans), $"{a.OperationName} is not below the server span"));
        foreach (var parent in received)
        {
            var spanId = ActivityContext.Parse(parent, null).SpanId;
            var sent = Assert.Single(spans, a => a.SpanId == spanId);
            Assert.True(attempts.Any(attempt => IsBelow(sent, attempt.SpanId, spans) || sent.SpanId == attempt.SpanId), $"{sent.OperationName} is not inside an attempt");
        }
    }

    /// <summary>
    /// The gateway's server span: the parent of the catalog lookup. (The test's client, the volunteers and the
    /// origin run in this process too, so their client and server spans are in the same trace.)
    /// </summary>
    private static Activity? GatewayServerSpan(Activity[] spans) =>
        spans.FirstOrDefault(a => a.OperationName == SelectionTracingMiddleware.LookupSpan) is { } lookup
            ? spans.FirstOrDefault(a => a.SpanId == lookup.ParentSpanId && a.Kind == ActivityKind.Server)
            : null;

    private static bool IsBelow(Activity span, ActivitySpanId ancestor, Activity[] all)
    {
        for (var current = span; current is not null; current = all.FirstOrDefault(a => a.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor)
            {
                return true;
            }
        }

        return false;
    }
}
