using System.Net;
using Gateway.Core.Catalog;
using Gateway.Core.Content;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Mirrors;
using Gateway.Delivery.Proxy;
using Gateway.Delivery.Proxy.Attempts;
using Gateway.Delivery.Proxy.Transport;
using Gateway.Delivery.Quarantine;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Verification;

/// <summary>
/// Verified proxying's part of <see cref="AttemptLoop"/>: with <c>Verify:Proxy</c> on, decides how a GET for a
/// published file is to be served (a <see cref="VerifiedBody"/>, the origin alone for a file that cannot be verified
/// before forwarding, or no source at all) and holds what every verified body shares: its HTTP client, the origin's
/// address, and what is done to a source caught serving altered bytes. Off, or for anything else (HEAD), the loop
/// streams through YARP's forwarder.
/// </summary>
public sealed partial class VerifiedProxy : IDisposable
{
    private readonly IOptionsMonitor<VerifyOptions> _verify;
    private readonly IOptionsMonitor<ProxyOptions> _proxyOptions;
    private readonly HealthyHolders _holders;
    private readonly QuarantineList _quarantine;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<VerifiedProxy> _logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _rangeIgnorers = new(StringComparer.Ordinal);

    public VerifiedProxy(
        IOptionsMonitor<VerifyOptions> verify,
        IOptionsMonitor<ProxyOptions> proxyOptions,
        HealthyHolders holders,
        QuarantineList quarantine,
        GatewayMetrics metrics,
        VolunteerCertificateTrust trust,
        ILogger<VerifiedProxy> logger)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(proxyOptions);
        _verify = verify;
        _proxyOptions = proxyOptions;
        _holders = holders;
        _quarantine = quarantine;
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
        Http = new HttpMessageInvoker(handler);
    }

    internal HttpMessageInvoker Http { get; }

    /// <summary>The cluster's activity timeout, for a source without its own.</summary>
    internal TimeSpan ActivityTimeout => _proxyOptions.CurrentValue.ActivityTimeout;

    internal string OriginBase => _holders.OriginBase();

    /// <summary>
    /// How <paramref name="download"/> (to be proxied from its holders) is to be served; <paramref name="body"/> is the
    /// verified body for <see cref="ProxyPlan.Verify"/>, which the caller disposes.
    /// </summary>
    public ProxyPlan Plan(HttpContext context, DownloadFeature download, out VerifiedBody? body)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(download);
        body = null;
        var verify = _verify.CurrentValue;
        if (!verify.Proxy || download.Entry is not { } entry || !HttpMethods.IsGet(context.Request.Method))
        {
            return ProxyPlan.Forward;
        }

        if (!ChunkLayout.TryCreate(entry, verify.MaxWholeFileBytes, out var layout))
        {
            // Too large to hold whole and published without chunk hashes: the origin (trusted) serves it,
            // rather than a volunteer's unverified bytes.
            return ProxyPlan.Origin;
        }

        var range = ByteRange.Parse(context.Request.Headers, entry.Size);
        if (!range.IsSatisfiable || entry.Size == 0)
        {
            var response = context.Response;
            response.StatusCode = range.IsSatisfiable ? StatusCodes.Status200OK : StatusCodes.Status416RangeNotSatisfiable;
            response.Headers.ContentRange = range.IsSatisfiable ? default : $"bytes */{entry.Size}";
            response.Headers["Repr-Digest"] = entry.ReprDigest;
            response.ContentLength = 0;
            return ProxyPlan.Answered;
        }

        body = new VerifiedBody(this, context, entry, layout, range);
        return ProxyPlan.Verify;
    }

    public void Dispose() => Http.Dispose();

    /// <summary>A source served bytes or headers that contradict the catalog: a volunteer is quarantined; the origin's manifest is stale.</summary>
    internal void Altered(string? volunteer, CatalogEntry entry, string reason)
    {
        _metrics.RecordAlteredBytes(volunteer ?? GatewayClusters.OriginDestinationId);
        if (volunteer is null)
        {
            LogOriginMismatch(_logger, entry.Path, reason);
        }
        else
        {
            _quarantine.Add(volunteer, $"{reason} in /{entry.Path}", "gateway");
        }
    }

    /// <summary>
    /// A source answered a Range request with the whole file: served anyway (the bytes before the range are read and
    /// dropped), counted, and logged once per source, since it costs that source's link the skipped bytes on every
    /// range and resumption (docs/verification.md: volunteers and the origin should honour Range).
    /// </summary>
    internal void RangeIgnored(string? volunteer, CatalogEntry entry)
    {
        var source = volunteer ?? GatewayClusters.OriginDestinationId;
        _metrics.RecordRangeIgnored(source);
        if (_rangeIgnorers.TryAdd(source, 0))
        {
            LogRangeIgnored(_logger, source, entry.Path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source} ignores Range (answered 200 with the whole file for a range of /{Path}): ranges and resumptions from it read the file from its start; serve it with Range support")]
    private static partial void LogRangeIgnored(ILogger logger, string source, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "The origin's /{Path} does not match the catalog ({Reason}): republish the manifest")]
    private static partial void LogOriginMismatch(ILogger logger, string path, string reason);
}
