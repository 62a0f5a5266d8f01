using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Gateway.Core.Catalog;
using Gateway.Core.Hosting;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Tracing;
using Gateway.Delivery.Proxy;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;
using Gateway.Core.Content;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;

namespace Gateway.Delivery.Verification;

/// <summary>
/// Proxy mode for published files with verification on: fetches the file (or the chunks covering the customer's
/// range) from a holder, forwards each chunk only after its SHA-256 matched the catalog, and on a mismatch, a stall,
/// an error or a dropped connection continues from the last verified chunk on the next holder (then the origin) with
/// a Range request, so the customer sees one seamless 200 or 206. A holder caught serving altered bytes is quarantined.
/// </summary>
public sealed partial class VerifyingForwarder : IDisposable
{
    private readonly HttpMessageInvoker _http;
    private readonly IOptionsMonitor<ProxyOptions> _proxyOptions;
    private readonly Gateway.Delivery.Mirrors.HealthyHolders _holders;
    private readonly QuarantineList _quarantine;
    private readonly DispatchLedger _ledger;
    private readonly Gateway.Delivery.Selection.Apache.BalancerMembers _members;
    private readonly IOptionsMonitor<Gateway.Delivery.Selection.Apache.BalancerOptions> _balancer;
    private readonly GatewayActivities _activities;
    private readonly RetryPicker _picker;
    private readonly Gateway.Delivery.Health.PassiveHealthReporter _passiveHealth;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<VerifyingForwarder> _logger;

    public VerifyingForwarder(
        IOptionsMonitor<ProxyOptions> proxyOptions,
        Gateway.Delivery.Mirrors.HealthyHolders holders,
        QuarantineList quarantine,
        DispatchLedger ledger,
        Gateway.Delivery.Selection.Apache.BalancerMembers members,
        IOptionsMonitor<Gateway.Delivery.Selection.Apache.BalancerOptions> balancer,
        GatewayActivities activities,
        RetryPicker picker,
        Gateway.Delivery.Health.PassiveHealthReporter passiveHealth,
        GatewayMetrics metrics,
        VolunteerCertificateTrust trust,
        ILogger<VerifyingForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(proxyOptions);
        _proxyOptions = proxyOptions;
        _holders = holders;
        _quarantine = quarantine;
        _ledger = ledger;
        _members = members;
        _balancer = balancer;
        _activities = activities;
        _picker = picker;
        _passiveHealth = passiveHealth;
        _metrics = metrics;
        _logger = logger;

        // As YARP's own client: no proxy from the environment, no redirects, no decompression, no cookies.
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = proxyOptions.CurrentValue.ActivityTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        };
        trust.Apply(handler);
        _http = new HttpMessageInvoker(handler);
    }

    private enum Outcome
    {
        Completed,
        Failed,
        ClientGone,
    }

    /// <summary>Serves <paramref name="entry"/> to the customer from <paramref name="first"/>, the other candidates, then the origin.</summary>
    public async Task ForwardAsync(HttpContext context, CatalogEntry entry, ChunkLayout layout, DestinationState first, IReadOnlyList<DestinationState> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(candidates);
        var response = context.Response;
        var range = ByteRange.Parse(context.Request.Headers, entry.Size);
        if (!range.IsSatisfiable || entry.Size == 0)
        {
            response.StatusCode = range.IsSatisfiable ? StatusCodes.Status200OK : StatusCodes.Status416RangeNotSatisfiable;
            response.Headers.ContentRange = range.IsSatisfiable ? default : $"bytes */{entry.Size}";
            response.Headers["Repr-Digest"] = entry.ReprDigest;
            response.ContentLength = 0;
            _metrics.RecordRequest(context, RequestOutcome.Origin, null);
            return;
        }

        using var verifier = new ChunkVerifier(layout, layout.ChunkOf(range.Start), layout.ChunkOf(range.End));
        var transfer = new Transfer(context, entry, range, verifier);
        var maxAttempts = _proxyOptions.CurrentValue.MaxAttempts;
        var attempts = 0;
        List<DestinationState>? remaining = null;
        var destination = _quarantine.Contains(first.DestinationId) ? NextHolder(context, first, candidates, ref remaining) : first;
        while (destination is not null && attempts < maxAttempts)
        {
            // The policy's pick first; after a failure the policy picks again among the holders left.
            var id = destination.DestinationId;
            attempts++;
            _ledger.BeginTransfer(id);

            // Apache's per-member counters (bybusyness, bytraffic) see each attempt, as MemberAccountingMiddleware does for YARP's.
            var member = _members.Find(id);
            member?.BeginRequest();
            var sentBefore = transfer.BytesSent;
            Outcome outcome;
            try
            {
                // Apache's per-member timeout when the member has one, as MemberTimeoutMiddleware does for YARP's forwarder.
                var timeout = member?.Timeout ?? _proxyOptions.CurrentValue.ActivityTimeout;
                outcome = await FromAsync(transfer, destination.Model.Config.Address, id, timeout).ConfigureAwait(false);
            }
            finally
            {
                _ledger.EndTransfer(id);
                member?.EndRequest(0, transfer.BytesSent - sentBefore);
            }

            if (outcome == Outcome.Completed)
            {
                _passiveHealth.Report(context, id, transportFailed: false);
                _metrics.RecordRequest(context, RequestOutcome.Proxied, id);
                return;
            }

            if (outcome == Outcome.ClientGone)
            {
                return;
            }

            _metrics.RecordFailover(id);
            verifier.Restart();
            destination = NextHolder(context, destination, candidates, ref remaining);
        }

        if (Gateway.Delivery.Selection.Apache.BalancerMembers.IsPinned(context) && !transfer.Started)
        {
            _metrics.RecordRequest(context, RequestOutcome.Failed, null);
            await FailoverMiddleware.PinnedRefusal(context).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var fromOrigin = await FromAsync(transfer, _holders.OriginBase(), null, _proxyOptions.CurrentValue.ActivityTimeout).ConfigureAwait(false);
        if (fromOrigin == Outcome.Completed)
        {
            _metrics.RecordRequest(context, RequestOutcome.Origin, null);
            return;
        }

        if (fromOrigin == Outcome.ClientGone)
        {
            return;
        }

        _metrics.RecordRequest(context, RequestOutcome.Failed, null);
        if (transfer.Started)
        {
            // Part of the body is out: only an aborted connection tells the customer it is incomplete.
            context.Abort();
            return;
        }

        await Results.Problem(
            statusCode: StatusCodes.Status502BadGateway,
            title: "No verified copy available",
            detail: $"Neither a volunteer nor the origin served bytes matching the catalog's SHA-256 for /{entry.Path}; see the gateway log.").ExecuteAsync(context).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Drops <paramref name="failed"/> (and quarantined holders) and lets the cluster's policy pick among the rest.</summary>
    private DestinationState? NextHolder(HttpContext context, DestinationState failed, IReadOnlyList<DestinationState> candidates, ref List<DestinationState>? remaining)
    {
        remaining ??= [.. candidates];
        remaining.Remove(failed);
        remaining.RemoveAll(d => _quarantine.Contains(d.DestinationId));
        return _picker.PickAgain(context, remaining);
    }

    /// <summary>One attempt from one source (a volunteer, or the origin when <paramref name="volunteer"/> is null).</summary>
    private async Task<Outcome> FromAsync(Transfer transfer, string baseUrl, string? volunteer, TimeSpan timeout)
    {
        // The same spans as AttemptTracingMiddleware makes around YARP's forwarder, so a trace reads alike either way.
        using var span = _activities.Source.HasListeners()
            ? _activities.Source.StartActivity(volunteer is null ? AttemptTracingMiddleware.OriginSpan : AttemptTracingMiddleware.AttemptSpan, ActivityKind.Internal)
            : null;
        if (volunteer is null)
        {
            span?.SetTag("gateway.fallback", true);
        }
        else
        {
            span?.SetTag("gateway.volunteer", volunteer);
        }

        var outcome = await AttemptAsync(transfer, baseUrl, volunteer, timeout).ConfigureAwait(false);
        if (outcome == Outcome.Failed)
        {
            span?.SetStatus(ActivityStatusCode.Error, "attempt failed");
        }

        // The last verified chunk may still be on its way to the customer: its buffer is not reused before that.
        return await transfer.DrainAsync().ConfigureAwait(false) ? outcome : Outcome.ClientGone;
    }

    private async Task<Outcome> AttemptAsync(Transfer transfer, string baseUrl, string? volunteer, TimeSpan timeout)
    {
        var verifier = transfer.Verifier;
        var context = transfer.Context;
        var from = verifier.ResumeOffset;
        var to = verifier.EndOffset;
        var ranged = from != 0 || to != transfer.Entry.Size;
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + transfer.Entry.EscapedPath) { Version = HttpVersion.Version11 };
        if (ranged)
        {
            request.Headers.Range = new RangeHeaderValue(from, to - 1);
        }

        var conditional = !ranged && !transfer.Started && CopyConditionals(context.Request.Headers, request.Headers);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            cts.CancelAfter(timeout);
            using var upstream = await _http.SendAsync(request, cts.Token).ConfigureAwait(false);
            var status = upstream.StatusCode;
            if (status == HttpStatusCode.NotModified && conditional)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                CopyValidators(upstream, context.Response.Headers);
                return Outcome.Completed;
            }

            if (status != (ranged ? HttpStatusCode.PartialContent : HttpStatusCode.OK))
            {
                MarkMemberInErrorIf(volunteer, _balancer.CurrentValue.FailOnStatus.Contains((int)status));
                return Failed(volunteer, transfer, $"answered {(int)status}");
            }

            var headers = upstream.Content.Headers;
            if (headers.ContentLength is { } length && length != to - from)
            {
                return Altered(volunteer, transfer, $"Content-Length {length} where {to - from} was due");
            }

            if (ranged && (headers.ContentRange is not { From: { } rangeFrom, To: { } rangeTo, Length: { } total }
                || rangeFrom != from || rangeTo != to - 1 || total != transfer.Entry.Size))
            {
                return Altered(volunteer, transfer, $"Content-Range '{headers.ContentRange}' where bytes {from}-{to - 1}/{transfer.Entry.Size} was due");
            }

            var body = await upstream.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (!verifier.IsComplete)
                {
                    cts.CancelAfter(timeout);
                    var read = await body.ReadAsync(verifier.Free, cts.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return Altered(volunteer, transfer, $"body ended at byte {verifier.ResumeOffset} of chunk {verifier.Current} (truncated)");
                    }

                    var chunkStatus = verifier.Advance(read);
                    if (chunkStatus == ChunkStatus.Mismatch)
                    {
                        return Altered(volunteer, transfer, $"chunk {verifier.Current} (bytes from {verifier.ChunkOffset}) SHA-256 mismatch");
                    }

                    if (chunkStatus == ChunkStatus.Verified)
                    {
                        // The write overlaps the next chunk's read (into the other buffer).
                        await transfer.WriteVerifiedChunkAsync(upstream).ConfigureAwait(false);
                        verifier.MoveNext();
                    }
                }

                // Without a Content-Length the body's end is its own word: bytes past the file are an alteration too
                // (the customer got exactly the verified bytes; the volunteer is still caught).
                if (headers.ContentLength is null && await body.ReadAsync(new byte[1], cts.Token).ConfigureAwait(false) > 0)
                {
                    Altered(volunteer, transfer, "extra bytes after the end of the file");
                }
            }

            return Outcome.Completed;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                return Outcome.ClientGone;
            }

            if (volunteer is not null)
            {
                // A connection error or a silent volunteer counts against it in YARP's passive health, as on the YARP path.
                _passiveHealth.Report(context, volunteer, transportFailed: true);
            }

            // Apache puts a member in error when it cannot be reached, and on a timeout with failontimeout.
            MarkMemberInErrorIf(volunteer, ex is HttpRequestException || (ex is OperationCanceledException && _balancer.CurrentValue.FailOnTimeout));
            return Failed(volunteer, transfer, ex is OperationCanceledException ? $"silent for {timeout}" : ex.Message);
        }
    }

    private void MarkMemberInErrorIf(string? volunteer, bool failed)
    {
        if (failed && volunteer is not null)
        {
            _members.MarkInError(volunteer);
        }
    }

    private Outcome Failed(string? volunteer, Transfer transfer, string reason)
    {
        LogAttemptFailed(_logger, volunteer ?? "origin", transfer.Entry.Path, transfer.Verifier.ResumeOffset, reason);
        return Outcome.Failed;
    }

    private Outcome Altered(string? volunteer, Transfer transfer, string reason)
    {
        _metrics.RecordAlteredBytes(volunteer ?? GatewayClusters.OriginDestinationId);
        if (volunteer is null)
        {
            LogOriginMismatch(_logger, transfer.Entry.Path, reason);
        }
        else
        {
            _quarantine.Add(volunteer, $"{reason} in /{transfer.Entry.Path}", "gateway");
        }

        return Outcome.Failed;
    }

    private static bool CopyConditionals(IHeaderDictionary from, HttpRequestHeaders to)
    {
        var copied = false;
        if (from.IfNoneMatch.Count > 0)
        {
            copied |= to.TryAddWithoutValidation("If-None-Match", (IEnumerable<string?>)from.IfNoneMatch);
        }

        if (from.IfModifiedSince.Count > 0)
        {
            copied |= to.TryAddWithoutValidation("If-Modified-Since", (IEnumerable<string?>)from.IfModifiedSince);
        }

        return copied;
    }

    /// <summary>Validators re-serialized from their parsed form: nothing a volunteer sends reaches the customer verbatim.</summary>
    private static void CopyValidators(HttpResponseMessage upstream, IHeaderDictionary to)
    {
        if (upstream.Content.Headers.LastModified is { } modified)
        {
            to.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (upstream.Headers.ETag is { } etag)
        {
            to.ETag = etag.ToString();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source} failed serving /{Path} from byte {Offset} ({Reason}); continuing from there on another holder or the origin")]
    private static partial void LogAttemptFailed(ILogger logger, string source, string path, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The origin's /{Path} does not match the catalog ({Reason}): republish the manifest")]
    private static partial void LogOriginMismatch(ILogger logger, string path, string reason);

    /// <summary>One customer's download across its attempts.</summary>
    private sealed class Transfer(HttpContext context, CatalogEntry entry, ByteRange range, ChunkVerifier verifier)
    {
        private readonly VerifiedChunkWriter _writer = new(context, range, verifier);

        public HttpContext Context { get; } = context;

        public CatalogEntry Entry { get; } = entry;

        public ChunkVerifier Verifier { get; } = verifier;

        /// <summary>True once the status line and the first verified bytes went out.</summary>
        public bool Started => _writer.Started;

        /// <summary>Bytes handed to the customer so far.</summary>
        public long BytesSent => _writer.BytesSent;

        /// <summary>Waits for the chunk still being written; false when the customer went away.</summary>
        public Task<bool> DrainAsync() => _writer.DrainAsync();

        /// <summary>Sends the just-verified chunk's part in the customer's range (the headers with the first).</summary>
        public Task WriteVerifiedChunkAsync(HttpResponseMessage upstream) =>
            _writer.WriteAsync(static (response, state) => state.Transfer.WriteHeaders(response, state.Upstream), (Transfer: this, Upstream: upstream));

        private void WriteHeaders(HttpResponse response, HttpResponseMessage upstream)
        {
            response.StatusCode = range.IsPartial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            response.ContentLength = range.Length;
            var headers = response.Headers;
            if (range.IsPartial)
            {
                headers.ContentRange = $"bytes {range.Start}-{range.End}/{Entry.Size}";
            }

            headers.AcceptRanges = "bytes";
            headers["Repr-Digest"] = Entry.ReprDigest;
            response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            CopyValidators(upstream, headers);
        }
    }
}
