using Gateway.Delivery.Metrics;
using Gateway.Delivery.Proxy.Attempts;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Tracing;
using Gateway.Delivery.Verification;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Proxy;

/// <summary>
/// The one attempt loop of proxy mode, plain or verified (the proxy pipeline's step before YARP's forwarder).
/// Each rule is written once, here or in the one class it names:
/// <list type="bullet">
/// <item>selection: the policy's pick first, then <see cref="RetryPicker"/> asks the cluster's policy again among the
/// holders left (never a quarantined one), up to <see cref="ProxyOptions.MaxAttempts"/>, then the origin;</item>
/// <item>accounting: <see cref="AttemptAccounting"/> around each attempt on a volunteer (transfers in flight, Apache's
/// member counters and error state, YARP's passive health, once each);</item>
/// <item>per-member timeout: the member's own <c>timeout</c>, else the cluster's, handed to the body;</item>
/// <item>tracing: one <see cref="AttemptTracer"/> span per attempt and one for the origin;</item>
/// <item>failover: after a failed attempt another source takes over unless the customer left or the body cannot
/// continue (plain: bytes already went out; verified: it resumes at the first unverified chunk); a sticky request
/// under nofailover is refused rather than sent to the origin;</item>
/// <item>error semantics (<see cref="ProxyOptions.ErrorSemantics"/>): under Apache's, a member's answer goes through
/// whatever its status, only a failed connection that put the member in error fails over, and when no member
/// answered the loop answers httpd's 503 (no connection) or 502 (closed or silent without answering), never from the
/// origin; so does a gateway without an origin;</item>
/// <item>metrics: one <c>gateway.requests</c> outcome per request, one failover count per failed attempt.</item>
/// </list>
/// How the bytes move is the body's job (<see cref="IAttemptBody"/>): <see cref="ForwardedBody"/> streams through
/// YARP's forwarder; with <c>Verify:Proxy</c> a GET for a published file gets <see cref="VerifiedProxy"/>'s body, which
/// forwards only chunks whose SHA-256 matched.
/// </summary>
public sealed partial class AttemptLoop
{
    // What an attempt whose body threw counts as: a failure of no one's transport.
    private static readonly AttemptResult Threw = new(AttemptFailure.Other, 0, 0, "threw");

    private readonly ForwardedBody _forwarded;
    private readonly IOptionsMonitor<ProxyOptions> _options;
    private readonly AttemptAccounting _accounting;
    private readonly RetryPicker _picker;
    private readonly AttemptTracer _tracer;
    private readonly VerifiedProxy _verified;
    private readonly GatewayMetrics _metrics;
    private readonly BalancerMembers _members;
    private readonly IOptionsMonitor<OriginOptions> _origin;
    private readonly ILogger<AttemptLoop> _logger;

    public AttemptLoop(
        RequestDelegate next,
        IProxyStateLookup proxyState,
        IOptionsMonitor<ProxyOptions> options,
        AttemptAccounting accounting,
        RetryPicker picker,
        AttemptTracer tracer,
        VerifiedProxy verified,
        GatewayMetrics metrics,
        BalancerMembers members,
        IOptionsMonitor<OriginOptions> origin,
        ILogger<AttemptLoop> logger)
    {
        _forwarded = new ForwardedBody(next, proxyState, options);
        _members = members;
        _origin = origin;
        _options = options;
        _accounting = accounting;
        _picker = picker;
        _tracer = tracer;
        _verified = verified;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proxy = context.GetReverseProxyFeature();
        var download = context.Features.Get<DownloadFeature>();
        if (proxy.Cluster.Config.ClusterId != GatewayClusters.Volunteers || download?.Candidates is not { } candidates || proxy.AvailableDestinations.Count == 0)
        {
            await AsLeftAsync(context, download).ConfigureAwait(false);
            return;
        }

        switch (_verified.Plan(context, download, out var verifiedBody))
        {
            case ProxyPlan.Answered:
                _metrics.RecordRequest(context, RequestOutcome.Origin, null);
                return;
            case ProxyPlan.Origin:
                await FromOriginAsync(context, _forwarded, download, fallback: true).ConfigureAwait(false);
                return;
            case ProxyPlan.Verify:
                using (verifiedBody)
                {
                    await RunAsync(context, verifiedBody!, download, candidates, proxy.AvailableDestinations[0]).ConfigureAwait(false);
                }

                return;
            default:
                await RunAsync(context, _forwarded, download, candidates, proxy.AvailableDestinations[0]).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Apache's answer when a sticky request's member fails under nofailover.</summary>
    private static IResult PinnedRefusal(HttpContext context) => Results.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Routed volunteer unavailable",
        detail: $"The request's sticky route '{context.Items[BalancerMembers.PinnedRouteKey]}' names a volunteer that cannot serve it, and Balancer:NoFailover is on.");

    private async Task RunAsync(HttpContext context, IAttemptBody body, DownloadFeature download, IReadOnlyList<DestinationState> candidates, DestinationState picked)
    {
        List<DestinationState>? remaining = null;
        var options = _options.CurrentValue;
        var maxAttempts = options.MaxAttempts;

        // Verified bytes keep the failover rules whatever the semantics: only bytes that matched the catalog go out.
        var apache = options.ErrorSemantics == ErrorSemantics.Apache && body == _forwarded;
        var volunteer = _picker.First(context, picked, candidates, ref remaining);
        string? last = null;
        var lastFailure = AttemptFailure.Unreachable;
        for (var attempt = 1; volunteer is not null; attempt++)
        {
            var id = volunteer.DestinationId;
            var result = await FromVolunteerAsync(context, body, volunteer).ConfigureAwait(false);
            if (result.Served)
            {
                _metrics.RecordRequest(context, RequestOutcome.Proxied, id);
                return;
            }

            if (result.Failure == AttemptFailure.ClientGone || context.RequestAborted.IsCancellationRequested || !body.CanContinue(context))
            {
                // The customer left, or bytes already reached it that no other source can be spliced onto.
                _metrics.RecordRequest(context, RequestOutcome.Failed, id);
                return;
            }

            LogAttemptFailed(_logger, id, attempt, download.Path, result.Reason ?? result.Failure.ToString());
            _metrics.RecordFailover(id);
            body.Discard(context);
            last = id;
            lastFailure = result.Failure;

            // httpd tries another member only after a failed connect that put this one in error (mod_proxy.c,
            // proxy_handler: the loop runs while the worker is unusable and attempts remain); anything else is answered.
            var failOver = apache
                ? result.Failure == AttemptFailure.Unreachable && _members.Find(id) is not { IsUsable: true }
                : true;
            volunteer = failOver && attempt < maxAttempts ? _picker.Next(context, volunteer, candidates, ref remaining) : null;
        }

        if (BalancerMembers.IsPinned(context) && !body.Started(context))
        {
            await PinnedRefusal(context).ExecuteAsync(context).ConfigureAwait(false);
            _metrics.RecordRequest(context, RequestOutcome.Failed, last);
            return;
        }

        if (apache || !_origin.CurrentValue.IsConfigured)
        {
            // Apache's own answer, never the origin: 503 when no member could be connected to, 502 when one
            // connected and closed or stayed silent without answering.
            await (lastFailure == AttemptFailure.Unreachable ? ApacheAnswers.NoUsableMember(context) : ApacheAnswers.NoAnswer(context)).ConfigureAwait(false);
            _metrics.RecordRequest(context, RequestOutcome.Failed, last);
            return;
        }

        await FromOriginAsync(context, body, download, fallback: true).ConfigureAwait(false);
    }

    private async Task<AttemptResult> FromVolunteerAsync(HttpContext context, IAttemptBody body, DestinationState volunteer)
    {
        var ticket = _accounting.Begin(volunteer);
        var span = _tracer.StartAttempt(volunteer.DestinationId);
        var result = Threw;
        try
        {
            // Apache's per-member timeout when the member has one; null keeps the cluster's (Proxy:ActivityTimeout).
            result = await body.SendAsync(context, volunteer, ticket.Member?.Timeout).ConfigureAwait(false);
            return result;
        }
        finally
        {
            AttemptTracer.Stop(span, context, result);
            _accounting.End(context, ticket, result);
        }
    }

    /// <summary>
    /// Nothing for the loop to choose: the earlier steps sent the request to the origin (metadata, unheld,
    /// uncatalogued) or left no volunteer (a sticky route refused under nofailover), and YARP forwards it as it is.
    /// </summary>
    private async Task AsLeftAsync(HttpContext context, DownloadFeature? download)
    {
        var span = context.GetReverseProxyFeature().Cluster.Config.ClusterId == GatewayClusters.Origin
            ? _tracer.StartOrigin(fallback: download?.Candidates is not null)
            : null;
        var result = Threw;
        try
        {
            result = await _forwarded.ForwardAsync(context).ConfigureAwait(false);
        }
        finally
        {
            AttemptTracer.Stop(span, context, result);
        }

        _metrics.RecordRequest(context, result.Served ? RequestOutcome.Origin : RequestOutcome.Failed, null);
    }

    private async Task FromOriginAsync(HttpContext context, IAttemptBody body, DownloadFeature? download, bool fallback)
    {
        var span = _tracer.StartOrigin(fallback);
        var result = Threw;
        try
        {
            result = await body.SendAsync(context, null, null).ConfigureAwait(false);
        }
        finally
        {
            AttemptTracer.Stop(span, context, result);
        }

        if (result.Served)
        {
            _metrics.RecordRequest(context, RequestOutcome.Origin, null);
            return;
        }

        if (result.Failure != AttemptFailure.ClientGone && !context.RequestAborted.IsCancellationRequested)
        {
            LogOriginFailed(_logger, download?.Path ?? context.Request.Path.Value ?? "", result.Reason ?? result.Failure.ToString());
            await body.FailAsync(context).ConfigureAwait(false);
        }

        _metrics.RecordRequest(context, RequestOutcome.Failed, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volunteer {Volunteer} failed attempt {Attempt} for /{Path} ({Reason}); trying another holder or the origin")]
    private static partial void LogAttemptFailed(ILogger logger, string volunteer, int attempt, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The origin failed serving /{Path} ({Reason})")]
    private static partial void LogOriginFailed(ILogger logger, string path, string reason);
}
