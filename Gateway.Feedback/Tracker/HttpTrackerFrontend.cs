using System.Buffers;
using Gateway.Feedback.Torrents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// The HTTP frontend (BEP 3, 23, 7, 48): <c>/announce</c>, <c>/announce/{key}</c>, <c>/scrape</c> and
/// <c>/scrape/{key}</c>, parsed from the raw request target. Every answer the client can act on is a bencoded
/// <c>failure reason</c> with status 200 (clients show it to their user); no exception leaves it.
/// </summary>
public sealed partial class HttpTrackerFrontend(SwarmTracker tracker, AddressRateLimiter limiter, IOptionsMonitor<TrackerOptions> options, ILogger<HttpTrackerFrontend> logger)
{
    public const string RateLimited = "too many requests from your address; announce less often";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        var queryAt = target.IndexOf('?', StringComparison.Ordinal);
        var path = queryAt < 0 ? target.AsSpan() : target.AsSpan(0, queryAt);
        var query = queryAt < 0 ? [] : target.AsSpan(queryAt + 1);
        var isAnnounce = TrySplit(path, "/announce", out var key);
        if (!isAnnounce && !TrySplit(path, "/scrape", out key))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var output = new ArrayBufferWriter<byte>(512);
        var remote = context.Connection.RemoteIpAddress;
        try
        {
            if (remote is null || !limiter.TryAcquire(remote))
            {
                AnnounceResponseWriter.WriteFailure(output, RateLimited);
            }
            else if (isAnnounce)
            {
                await AnnounceAsync(output, query.ToString(), key, remote, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                await ScrapeAsync(output, query.ToString(), context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Never a stack trace to the client: log it here and tell the client to retry.
            LogHandlerFailed(logger, ex);
            output.ResetWrittenCount();
            AnnounceResponseWriter.WriteFailure(output, "internal tracker error; retry later");
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/plain";
        response.ContentLength = output.WrittenCount;
        await response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task AnnounceAsync(ArrayBufferWriter<byte> output, string query, string? key, System.Net.IPAddress remote, CancellationToken cancellationToken)
    {
        if (!AnnounceParser.TryParse(query, out var request, out var failure))
        {
            AnnounceResponseWriter.WriteFailure(output, failure!);
            return;
        }

        var buffer = ArrayPool<SwarmPeer>.Shared.Rent(options.CurrentValue.MaxNumWant);
        try
        {
            var result = await tracker.AnnounceAsync(request, PeerAddress.From(remote, request.Port), key, buffer, cancellationToken).ConfigureAwait(false);
            if (result.Failure is not null)
            {
                AnnounceResponseWriter.WriteFailure(output, result.Failure);
                return;
            }

            AnnounceResponseWriter.WriteAnnounce(output, result, buffer.AsSpan(0, result.PeersWritten), request.Compact, request.NoPeerId);
        }
        finally
        {
            ArrayPool<SwarmPeer>.Shared.Return(buffer);
        }
    }

    private async Task ScrapeAsync(ArrayBufferWriter<byte> output, string query, CancellationToken cancellationToken)
    {
        var max = options.CurrentValue.MaxScrapeHashes;
        var hashes = ArrayPool<InfoHash>.Shared.Rent(max);
        var counts = ArrayPool<SwarmCounts>.Shared.Rent(max);
        try
        {
            if (!AnnounceParser.TryParseScrape(query, hashes.AsSpan(0, max), out var count, out var failure)
                || (failure = await tracker.ScrapeAsync(hashes.AsMemory(0, count), counts.AsMemory(0, count), cancellationToken).ConfigureAwait(false)) is not null)
            {
                AnnounceResponseWriter.WriteFailure(output, failure!);
                return;
            }

            AnnounceResponseWriter.WriteScrape(output, hashes.AsSpan(0, count), counts.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<InfoHash>.Shared.Return(hashes);
            ArrayPool<SwarmCounts>.Shared.Return(counts);
        }
    }

    /// <summary>Matches <c>{prefix}</c> or <c>{prefix}/{key}</c> (one segment, raw: keys are URL-safe characters).</summary>
    internal static bool TrySplit(ReadOnlySpan<char> path, string prefix, out string? key)
    {
        key = null;
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path[prefix.Length..];
        if (rest.IsEmpty)
        {
            return true;
        }

        if (rest[0] != '/' || rest.Length == 1 || rest[1..].Contains('/'))
        {
            return false;
        }

        key = rest[1..].ToString();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The tracker failed to handle a request")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
