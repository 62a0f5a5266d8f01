using System.Collections.Concurrent;
using Gateway.Delivery.Proxy.Attempts;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// The plain body of an attempt: YARP's forwarder streams the source's answer through (the proxy pipeline's last
/// step, so YARP keeps its own request counters and transforms). <see cref="VolunteerResponseTransform"/> holds a
/// failing volunteer's answer back while another source may take over; once bytes went out, none can.
/// </summary>
/// <remarks>
/// YARP reads the activity timeout from the request's cluster model, one per cluster, so an attempt with a member's
/// own timeout runs with a view of the proxy feature whose cluster model differs only in
/// <see cref="ForwarderRequestConfig.ActivityTimeout"/> (same HTTP client and connections); the real feature is put
/// back afterwards.
/// </remarks>
public sealed class ForwardedBody(RequestDelegate forward, IProxyStateLookup proxyState, IOptionsMonitor<ProxyOptions> options) : IAttemptBody
{
    private Variants _variants = new(null, new ConcurrentDictionary<TimeSpan, ClusterModel>());

    public bool Started(HttpContext context) => context?.Response.HasStarted == true;

    public bool CanContinue(HttpContext context) => !Started(context);

    public async Task<AttemptResult> SendAsync(HttpContext context, DestinationState? volunteer, TimeSpan? memberTimeout)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proxy = context.GetReverseProxyFeature();
        var download = context.Features.Get<DownloadFeature>();
        if (volunteer is null)
        {
            download?.CanRetry = false;
            if (proxyState.TryGetCluster(GatewayClusters.Origin, out var origin))
            {
                context.ReassignProxyRequest(origin);
            }

            return await ForwardAsync(context).ConfigureAwait(false);
        }

        // Apache passes every answer of a member through (failonstatus only puts the member in error afterwards).
        download?.CanRetry = options.CurrentValue.ErrorSemantics == ErrorSemantics.Failover;
        download?.VolunteerFailed = false;
        // The policy's own pick is already the only one available: a list is made only for a retry.
        if (proxy.AvailableDestinations is not [var only] || only != volunteer)
        {
            proxy.AvailableDestinations = [volunteer];
        }

        proxy.ProxiedDestination = null;
        if (memberTimeout is not { } timeout)
        {
            await forward(context).ConfigureAwait(false);
            return ResultOf(context, download);
        }

        context.Features.Set<IReverseProxyFeature>(new ClusterOverride(proxy, WithTimeout(proxy.Cluster, timeout)));
        try
        {
            await forward(context).ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(proxy);
        }

        return ResultOf(context, download);
    }

    /// <summary>Forwards the request where the earlier steps left it (the origin, or YARP's refusal when no destination is left).</summary>
    public async Task<AttemptResult> ForwardAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await forward(context).ConfigureAwait(false);
        return ResultOf(context, context.Features.Get<DownloadFeature>());
    }

    public void Discard(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Clear();
        context.Features.Set<IForwarderErrorFeature?>(null);
        context.Features.Get<DownloadFeature>()?.VolunteerFailed = false;
    }

    /// <summary>YARP's own answer (its 502, or an aborted connection) already tells the customer.</summary>
    public Task FailAsync(HttpContext context) => Task.CompletedTask;

    private static AttemptResult ResultOf(HttpContext context, DownloadFeature? download)
    {
        var status = context.Response.StatusCode;
        var bytes = context.Response.ContentLength ?? 0;
        var error = context.GetForwarderErrorFeature()?.Error ?? ForwarderError.None;
        if (error == ForwarderError.None)
        {
            return download?.VolunteerFailed == true
                ? new AttemptResult(AttemptFailure.Status, status, bytes, $"answered {status}")
                : new AttemptResult(AttemptFailure.None, status, bytes, null);
        }

        var failure = error switch
        {
            ForwarderError.Request => ReachedNothing(context.GetForwarderErrorFeature()?.Exception) ? AttemptFailure.Unreachable : AttemptFailure.NoAnswer,
            ForwarderError.RequestTimedOut => AttemptFailure.TimedOut,
            ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination
                or ForwarderError.UpgradeRequestDestination or ForwarderError.UpgradeResponseDestination => AttemptFailure.Broken,
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
                or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
                or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
                or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient => AttemptFailure.ClientGone,
            _ => AttemptFailure.Other,
        };
        return new AttemptResult(failure, status, bytes, error.ToString());
    }

    /// <summary>True when the request failed before a connection was made (Apache's connect failure); false when the source closed without answering.</summary>
    private static bool ReachedNothing(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException http)
            {
                return http.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                    or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
            }
        }

        // No HTTP error to tell: count it as a connection that failed, as before the distinction.
        return true;
    }

    private ClusterModel WithTimeout(ClusterModel cluster, TimeSpan timeout)
    {
        // A configuration reload makes a new cluster model (maybe with a new HTTP client): start a new set of variants.
        var variants = Volatile.Read(ref _variants);
        if (!ReferenceEquals(variants.Source, cluster))
        {
            variants = new Variants(cluster, new ConcurrentDictionary<TimeSpan, ClusterModel>());
            Volatile.Write(ref _variants, variants);
        }

        return variants.ByTimeout.GetOrAdd(timeout, static (t, c) => new ClusterModel(
            c.Config with { HttpRequest = (c.Config.HttpRequest ?? ForwarderRequestConfig.Empty) with { ActivityTimeout = t } },
            c.HttpClient), cluster);
    }

    /// <summary>The request's proxy feature with another cluster model; destinations stay the real feature's.</summary>
    private sealed class ClusterOverride(IReverseProxyFeature inner, ClusterModel cluster) : IReverseProxyFeature
    {
        public RouteModel Route => inner.Route;

        public ClusterModel Cluster => cluster;

        public IReadOnlyList<DestinationState> AllDestinations => inner.AllDestinations;

        public IReadOnlyList<DestinationState> AvailableDestinations
        {
            get => inner.AvailableDestinations;
            set => inner.AvailableDestinations = value;
        }

        public DestinationState? ProxiedDestination
        {
            get => inner.ProxiedDestination;
            set => inner.ProxiedDestination = value;
        }
    }

    private sealed record Variants(ClusterModel? Source, ConcurrentDictionary<TimeSpan, ClusterModel> ByTimeout);
}
