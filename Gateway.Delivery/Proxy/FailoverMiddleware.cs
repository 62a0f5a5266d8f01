using Gateway.Core.Telemetry;
using Gateway.Delivery.Metrics;
using Gateway.Core.Paths;
using Gateway.Delivery.RequestPaths;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// Proxy-pipeline step around the forwarder: when the chosen volunteer fails before the first byte
/// reached the customer (connect error, timeout, 5xx), picks another holder with the same policy, up to
/// <see cref="ProxyOptions.MaxAttempts"/>, then the origin. Counts transfers in flight for the load estimate.
/// </summary>
public sealed partial class FailoverMiddleware
{
    private readonly RequestDelegate _next;
    private readonly IOptionsMonitor<ProxyOptions> _options;
    private readonly IProxyStateLookup _proxyState;
    private readonly DispatchLedger _ledger;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<FailoverMiddleware> _logger;
    private readonly RetryPicker _picker;

    public FailoverMiddleware(
        RequestDelegate next,
        IOptionsMonitor<ProxyOptions> options,
        IProxyStateLookup proxyState,
        DispatchLedger ledger,
        GatewayMetrics metrics,
        RetryPicker picker,
        ILogger<FailoverMiddleware> logger)
    {
        _next = next;
        _options = options;
        _proxyState = proxyState;
        _ledger = ledger;
        _metrics = metrics;
        _logger = logger;
        _picker = picker;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proxy = context.GetReverseProxyFeature();
        var download = context.Features.Get<DownloadFeature>();
        if (proxy.Cluster.Config.ClusterId != GatewayClusters.Volunteers || download?.Candidates is null || proxy.AvailableDestinations.Count == 0)
        {
            await _next(context).ConfigureAwait(false);
            _metrics.RecordRequest(context, Failed(context, download) ? RequestOutcome.Failed : RequestOutcome.Origin, null);
            return;
        }

        List<DestinationState>? remaining = null;
        var destination = proxy.AvailableDestinations[0];
        var maxAttempts = _options.CurrentValue.MaxAttempts;
        for (var attempt = 1; ; attempt++)
        {
            download.CanRetry = true;
            download.VolunteerFailed = false;
            _ledger.BeginTransfer(destination.DestinationId);
            try
            {
                await _next(context).ConfigureAwait(false);
            }
            finally
            {
                _ledger.EndTransfer(destination.DestinationId);
            }

            if (!Failed(context, download))
            {
                _metrics.RecordRequest(context, RequestOutcome.Proxied, destination.DestinationId);
                return;
            }

            if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested || IsClientSide(context))
            {
                // Bytes already reached the customer (or the customer left): no second attempt can be spliced in here.
                _metrics.RecordRequest(context, RequestOutcome.Failed, destination.DestinationId);
                return;
            }

            LogAttemptFailed(_logger, destination.DestinationId, attempt, Describe(context, download));
            _metrics.RecordFailover(destination.DestinationId);
            // Allocated only on the rare path: most requests succeed at the first attempt.
            remaining ??= new List<DestinationState>(download.Candidates);
            remaining.Remove(destination);
            ResetResponse(context, download);
            var next = attempt < maxAttempts ? _picker.PickAgain(context, remaining) : null;
            if (next is not null)
            {
                destination = next;
                proxy.AvailableDestinations = [next];
                proxy.ProxiedDestination = null;
                continue;
            }

            if (Gateway.Delivery.Selection.Apache.BalancerMembers.IsPinned(context))
            {
                await PinnedRefusal(context).ExecuteAsync(context).ConfigureAwait(false);
                _metrics.RecordRequest(context, RequestOutcome.Failed, destination.DestinationId);
                return;
            }

            await ToOriginAsync(context, download).ConfigureAwait(false);
            return;
        }
    }

    private async Task ToOriginAsync(HttpContext context, DownloadFeature download)
    {
        download.CanRetry = false;
        if (_proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
        {
            context.ReassignProxyRequest(origin);
        }

        await _next(context).ConfigureAwait(false);
        _metrics.RecordRequest(context, Failed(context, download) ? RequestOutcome.Failed : RequestOutcome.Origin, null);
    }

    /// <summary>Apache's answer when a sticky request's member fails under nofailover.</summary>
    internal static IResult PinnedRefusal(HttpContext context) => Results.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Routed volunteer unavailable",
        detail: $"The request's sticky route '{context.Items[Gateway.Delivery.Selection.Apache.BalancerMembers.PinnedRouteKey]}' names a volunteer that cannot serve it, and Balancer:NoFailover is on.");

    private static bool Failed(HttpContext context, DownloadFeature? download) =>
        download?.VolunteerFailed == true || context.GetForwarderErrorFeature() is { Error: not ForwarderError.None };

    private static bool IsClientSide(HttpContext context) => context.GetForwarderErrorFeature()?.Error is
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
        or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient;

    private static string Describe(HttpContext context, DownloadFeature download) =>
        download.VolunteerFailed ? $"answered {context.Response.StatusCode}" : context.GetForwarderErrorFeature()?.Error.ToString() ?? "failed";

    private static void ResetResponse(HttpContext context, DownloadFeature download)
    {
        context.Response.Clear();
        context.Features.Set<IForwarderErrorFeature?>(null);
        download.VolunteerFailed = false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} failed attempt {Attempt} before the first byte ({Reason}); trying another holder or the origin")]
    private static partial void LogAttemptFailed(ILogger logger, string volunteer, int attempt, string reason);
}
