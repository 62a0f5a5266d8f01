using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Mirrors;
using Gateway.Verification;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.ClientProxy;

/// <summary>
/// An HTTP forward proxy beside the customer (apt's <c>Acquire::http::Proxy</c>, curl's <c>-x</c>): forwards to the
/// gateway, follows its redirect itself, spools the body while hashing it and hands it over only when it matches
/// the <c>Repr-Digest</c> the gateway sent. On a mismatch (or a failure) it tries the <c>Link</c> alternates, the
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
            if (digest is null || HttpMethods.IsHead(method) || !(redirect || status == 200))
            {
                await PassThroughAsync(context, first).ConfigureAwait(false);
                return;
            }

            var sources = new List<Uri>();
            if (redirect)
            {
                sources.Add(new Uri(target, first.Headers.Location!));
                sources.AddRange(MirrorLinks.ParseDuplicates(Values(first, "Link") ?? []).Where(u => u != sources[0]));
            }

            // A 200 with a digest (the gateway proxied it) is verified as it is; there is nothing else to try.
            if (!redirect && await TryDeliverAsync(context, first, digest, target, target, settings).ConfigureAwait(false))
            {
                return;
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
                    LogSourceFailed(logger, source, ex.Message);
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
                LogSourceFailed(logger, source, ex is OperationCanceledException ? $"silent for {settings.ActivityTimeout}" : ex.Message);
                return false;
            }

            if (!CryptographicOperations.FixedTimeEquals(actual, digest))
            {
                LogMismatch(logger, source, Convert.ToHexStringLower(actual));
                await ReportAsync(requested, source, actual, settings, context.RequestAborted).ConfigureAwait(false);
                return false;
            }

            var customer = context.Response;
            customer.StatusCode = 200;
            customer.ContentLength = spool.Length;
            customer.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            if (response.Content.Headers.LastModified is { } modified)
            {
                customer.Headers.LastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }

            customer.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(digest) + ":";
            spool.Position = 0;
            await spool.CopyToAsync(customer.Body, CopyBufferSize, context.RequestAborted).ConfigureAwait(false);
            return true;
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

    /// <summary>Tells the gateway (signed) which URL served altered bytes; the gateway ignores URLs that are not its volunteers'.</summary>
    private async Task ReportAsync(Uri requested, Uri source, byte[] actual, VerifyProxyOptions settings, CancellationToken cancellationToken)
    {
        if (settings.ReportKey.Length == 0 || source == requested)
        {
            return;
        }

        var report = new VolunteerReport(source.ToString(), Uri.UnescapeDataString(requested.AbsolutePath.TrimStart('/')), Convert.ToHexStringLower(actual), time.GetUtcNow().ToUnixTimeSeconds());
        var body = JsonSerializer.SerializeToUtf8Bytes(report, VerificationJsonContext.Default.VolunteerReport);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(requested, QuarantineEndpoints.ReportPath)) { Content = new ByteArrayContent(body) };
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Reported {Source} to the gateway: {Status}")]
    private static partial void LogReported(ILogger logger, Uri source, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Source} to the gateway: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, Uri source, string reason);
}
