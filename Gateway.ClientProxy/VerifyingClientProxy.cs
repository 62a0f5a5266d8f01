using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Gateway.Core.Content;
using Gateway.Core.Reports;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.ClientProxy;

/// <summary>
/// An HTTP forward proxy beside the customer (apt's <c>Acquire::http::Proxy</c>, curl's <c>-x</c>): forwards to the
/// gateway, follows its redirect itself and hands over only bytes that match what the gateway sent: piece by piece
/// against the metalink's piece hashes (streamed; a Range gets the verified covering pieces, sliced), small files
/// whole in memory, and large files without piece hashes spooled to disk until their <c>Repr-Digest</c> matches. On a mismatch (or a failure) it tries the <c>Link</c> alternates, the
/// origin last, and reports the volunteer to the gateway (signed). Responses without a digest (repository
/// metadata from the origin) pass through.
/// </summary>
public sealed partial class VerifyingClientProxy(
    HttpMessageInvoker http,
    IOptionsMonitor<VerifyProxyOptions> options,
    TimeProvider time,
    ILogger<VerifyingClientProxy> logger)
{
    private const int CopyBufferSize = 64 * 1024;

    private readonly PieceDelivery _pieces = new(http, logger);

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    };

    /// <summary>Not forwarded upstream: the proxy fetches whole bodies to verify them (a 200 answers a Range request correctly).</summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase) { "Range", "If-Range" };

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.Request.Method;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (HttpMethods.IsConnect(method))
        {
            await Problem(context, 405, "CONNECT is not supported", "Bytes inside a TLS tunnel cannot be verified; use http:// sources through this proxy (apt verifies the metadata's signature itself).").ConfigureAwait(false);
            return;
        }

        if (!Uri.TryCreate(raw, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            await Problem(context, 400, "Not a proxy request", "Send absolute-form requests (configure this as an HTTP proxy: apt Acquire::http::Proxy, curl -x).").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            await Problem(context, 405, "Method not allowed", "This proxy serves downloads: GET and HEAD only.").ConfigureAwait(false);
            return;
        }

        var settings = options.CurrentValue;
        var aborted = context.RequestAborted;
        using var request = Forwarded(context.Request, target, HttpMethods.IsHead(method) ? HttpMethod.Head : HttpMethod.Get);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(settings.ActivityTimeout);
        HttpResponseMessage first;
        try
        {
            first = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !aborted.IsCancellationRequested)
        {
            await Problem(context, 502, "Upstream unreachable", $"{target}: {ex.Message}").ConfigureAwait(false);
            return;
        }

        using (first)
        {
            var digest = ReprDigest.TryParseSha256(Values(first, "Repr-Digest"));
            var status = (int)first.StatusCode;
            var redirect = status is 301 or 302 or 303 or 307 or 308 && first.Headers.Location is not null;
            if (digest is null || !(redirect || status == 200))
            {
                await PassThroughAsync(context, first).ConfigureAwait(false);
                return;
            }

            var sources = new List<Uri>();
            if (redirect)
            {
                sources.Add(new Uri(target, first.Headers.Location!));
                sources.AddRange(DuplicateLinks.Parse(Values(first, "Link") ?? []).Where(u => u != sources[0]));
            }
            else
            {
                // A 200 with a digest (the gateway proxied it): the gateway is the one source.
                sources.Add(target);
            }

            var facts = await FactsAsync(target, digest, settings, aborted).ConfigureAwait(false);
            if (HttpMethods.IsHead(method))
            {
                AnswerHead(context, facts, digest);
                return;
            }

            if (facts?.Layout(settings.MaxInMemoryBytes) is { } layout)
            {
                await DeliverPiecesAsync(context, first, redirect, facts, layout, sources.Take(settings.MaxSources).ToList(), target, settings).ConfigureAwait(false);
                return;
            }

            // Only a whole-file digest for a large file (or no metalink): spool to disk, verify, then send.
            if (!redirect && await TryDeliverAsync(context, first, digest, target, target, settings).ConfigureAwait(false))
            {
                return;
            }

            if (!redirect)
            {
                sources.Clear();
            }

            foreach (var source in sources.Take(settings.MaxSources))
            {
                if (aborted.IsCancellationRequested)
                {
                    return;
                }

                using var sourceRequest = new HttpRequestMessage(HttpMethod.Get, source) { Version = HttpVersion.Version11 };
                using var sourceTimeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                sourceTimeout.CancelAfter(settings.ActivityTimeout);
                try
                {
                    using var response = await http.SendAsync(sourceRequest, sourceTimeout.Token).ConfigureAwait(false);
                    if (await TryDeliverAsync(context, response, digest, source, target, settings).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !aborted.IsCancellationRequested)
                {
                    var stalled = ex is OperationCanceledException;
                    LogSourceFailed(logger, source, stalled ? $"no answer within {settings.ActivityTimeout}" : ex.Message);
                    if (stalled)
                    {
                        await ReportAsync(target, source, VolunteerReportKinds.Stalled, $"no answer within {settings.ActivityTimeout}", settings, aborted).ConfigureAwait(false);
                    }
                }
            }

            if (!aborted.IsCancellationRequested)
            {
                await Problem(context, 502, "No verified copy", $"No source served bytes matching the gateway's Repr-Digest for {target}.").ConfigureAwait(false);
            }
        }
    }

    /// <summary>Spools and hashes one source's body; on a match sends it to the customer, on a mismatch reports the source.</summary>
    private async Task<bool> TryDeliverAsync(HttpContext context, HttpResponseMessage response, byte[] digest, Uri source, Uri requested, VerifyProxyOptions settings)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            LogSourceFailed(logger, source, $"answered {(int)response.StatusCode}");
            return false;
        }

        var folder = settings.SpoolFolder ?? Path.GetTempPath();
        var spool = new FileStream(Path.Combine(folder, "verify-proxy-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, CopyBufferSize, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool.ConfigureAwait(false))
        {
            byte[] actual;
            try
            {
                actual = await SpoolAsync(response, spool, settings.ActivityTimeout, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                if (ex is not OperationCanceledException)
                {
                    LogSourceFailed(logger, source, ex.Message);
                    return false;
                }

                var stalled = $"silent for {settings.ActivityTimeout} at byte {spool.Length}";
                LogSourceFailed(logger, source, stalled);
                await ReportAsync(requested, source, VolunteerReportKinds.Stalled, stalled, settings, context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            if (!CryptographicOperations.FixedTimeEquals(actual, digest))
            {
                LogMismatch(logger, source, Convert.ToHexStringLower(actual));
                await ReportAsync(requested, source, VolunteerReportKinds.Altered, Convert.ToHexStringLower(actual), settings, context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            var customer = context.Response;
            var range = ByteRange.Parse(context.Request.Headers, spool.Length);
            if (!range.IsSatisfiable || spool.Length == 0)
            {
                AnswerUnsatisfiable(customer, range, spool.Length, digest);
                return true;
            }

            customer.StatusCode = range.IsPartial ? 206 : 200;
            customer.ContentLength = range.Length;
            if (range.IsPartial)
            {
                customer.Headers.ContentRange = $"bytes {range.Start}-{range.End}/{spool.Length}";
            }

            customer.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            if (response.Content.Headers.LastModified is { } modified)
            {
                customer.Headers.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }

            customer.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(digest) + ":";
            spool.Position = range.Start;
            await CopyAsync(spool, customer.Body, range.Length, context.RequestAborted).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Streams piece by piece (or a small file whole from memory), each piece verified before it goes out.</summary>
    private async Task DeliverPiecesAsync(HttpContext context, HttpResponseMessage first, bool redirect, FileFacts facts, ChunkLayout layout, List<Uri> sources, Uri target, VerifyProxyOptions settings)
    {
        var range = ByteRange.Parse(context.Request.Headers, facts.Size);
        if (!range.IsSatisfiable || facts.Size == 0)
        {
            AnswerUnsatisfiable(context.Response, range, facts.Size, facts.Sha256);
            return;
        }

        var delivered = await _pieces.DeliverAsync(
            context, facts, layout, range, sources, redirect ? null : first, settings.ActivityTimeout,
            (source, kind, observed) => ReportAsync(target, source, kind, observed, settings, context.RequestAborted)).ConfigureAwait(false);
        if (!delivered)
        {
            await Problem(context, 502, "No verified copy", $"No source served bytes matching the gateway's piece hashes for {target}.").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The file's metadata from the gateway's metalink (<c>?meta4</c>), when it agrees with the <c>Repr-Digest</c>;
    /// null when there is none (then the whole body is verified against the digest).
    /// </summary>
    private async Task<FileFacts?> FactsAsync(Uri target, byte[] digest, VerifyProxyOptions settings, CancellationToken aborted)
    {
        if (target.Query.Length > 0)
        {
            return null;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(target) { Query = "meta4" }.Uri) { Version = HttpVersion.Version11 };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(settings.ActivityTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var facts = FileFacts.TryRead(body);
                return facts is not null && CryptographicOperations.FixedTimeEquals(facts.Sha256, digest) ? facts : null;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !aborted.IsCancellationRequested)
        {
            LogNoMetalink(logger, target, ex.Message);
            return null;
        }
    }

    /// <summary>HEAD: the verified metadata (size and digest from the gateway), never a source's headers or body.</summary>
    private static void AnswerHead(HttpContext context, FileFacts? facts, byte[] digest)
    {
        var response = context.Response;
        if (facts is null)
        {
            response.StatusCode = 200;
            response.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(digest) + ":";
            return;
        }

        var range = ByteRange.Parse(context.Request.Headers, facts.Size);
        if (!range.IsSatisfiable || facts.Size == 0)
        {
            AnswerUnsatisfiable(response, range, facts.Size, digest);
            return;
        }

        VerifiedHeaders.Write(response, facts, range);
        response.ContentType = "application/octet-stream";
    }

    private static void AnswerUnsatisfiable(HttpResponse response, ByteRange range, long size, byte[] digest)
    {
        response.StatusCode = range.IsSatisfiable ? 200 : 416;
        if (!range.IsSatisfiable)
        {
            response.Headers.ContentRange = $"bytes */{size}";
        }

        response.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(digest) + ":";
        response.ContentLength = 0;
    }

    private static async Task CopyAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (count > 0)
            {
                var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The spool file ended early.");
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<byte[]> SpoolAsync(HttpResponseMessage response, Stream spool, TimeSpan timeout, CancellationToken aborted)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(silence.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    silence.CancelAfter(timeout);
                    var read = await body.ReadAsync(buffer, silence.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return hash.GetHashAndReset();
                    }

                    hash.AppendData(buffer, 0, read);
                    await spool.WriteAsync(buffer.AsMemory(0, read), aborted).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Tells the gateway (signed) which URL served altered bytes or stalled; the gateway ignores URLs that are not its volunteers'.</summary>
    private async Task ReportAsync(Uri requested, Uri source, string kind, string observed, VerifyProxyOptions settings, CancellationToken cancellationToken)
    {
        if (settings.ReportKey.Length == 0 || source == requested)
        {
            return;
        }

        var report = new VolunteerReport(source.ToString(), Uri.UnescapeDataString(requested.AbsolutePath.TrimStart('/')), observed, time.GetUtcNow().ToUnixTimeSeconds(), kind);
        var body = VolunteerReportWire.Serialize(report);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(requested, VolunteerReportWire.Path)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(ReportSignature.Header, ReportSignature.Sign(settings.ReportKey, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ActivityTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            LogReported(logger, source, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            LogReportFailed(logger, source, ex.Message);
        }
    }

    private static HttpRequestMessage Forwarded(HttpRequest from, Uri target, HttpMethod method)
    {
        var request = new HttpRequestMessage(method, target) { Version = HttpVersion.Version11 };
        foreach (var (name, values) in from.Headers)
        {
            if (!HopByHop.Contains(name) && !NotForwarded.Contains(name))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        return request;
    }

    private static async Task PassThroughAsync(HttpContext context, HttpResponseMessage upstream)
    {
        var response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        foreach (var (name, values) in upstream.Headers.Concat(upstream.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                response.Headers[name] = values.ToArray();
            }
        }

        response.ContentLength = upstream.Content.Headers.ContentLength;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            var body = await upstream.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                await body.CopyToAsync(response.Body, CopyBufferSize, context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    private static IEnumerable<string>? Values(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values
        : response.Content.Headers.TryGetValues(name, out var content) ? content
        : null;

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source} failed: {Reason}; trying the next source")]
    private static partial void LogSourceFailed(ILogger logger, Uri source, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Source} served bytes with SHA-256 {Actual}, not the gateway's Repr-Digest; refused, trying the next source")]
    private static partial void LogMismatch(ILogger logger, Uri source, string actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "No metalink for {Target} ({Reason}); verifying the whole body against its Repr-Digest")]
    private static partial void LogNoMetalink(ILogger logger, Uri target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reported {Source} to the gateway: {Status}")]
    private static partial void LogReported(ILogger logger, Uri source, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Source} to the gateway: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, Uri source, string reason);
}
