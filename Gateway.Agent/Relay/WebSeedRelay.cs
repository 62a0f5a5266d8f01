using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Gateway.Agent.Mirror;
using Gateway.Agent.Status;
using Gateway.Agent.WebSeed;
using Gateway.Core.Torrents;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Relay;

/// <summary>
/// The engine's web seed (<c>/webseed/{infohash}/{name[/path]}</c> on the control listener): a range in this
/// agent's slice of the torrent is fetched from the origin (clipped at the slice's end), any other is deferred, so
/// that agents that start together pay the origin for different parts and trade them (see <see cref="WebSeedSlicing"/>).
/// </summary>
/// <remarks>
/// How aria2 takes the answers (read in its source and tried on loopback): a 206 with a Content-Length must carry
/// exactly the range it asked for (else it drops the URI), so a clipped range is announced in full and the connection
/// closed after the bytes up to a piece boundary; aria2 keeps what arrived and asks again at once. (Sent chunked instead, which aria2 does not range-check, aria2 waits on the connection for its next
/// piece.) A deferral is a 307 to the same file, which aria2 follows at once after releasing the segment (peers may
/// fill it) and taking a new one at a random place; it gives up on a
/// URI after 20 redirects, so every 16th deferral is a 504 instead, which it retries after <c>retry-wait</c> (1 s)
/// with its redirect count reset (the hop count in the URL tells the relay which one it is).
/// </remarks>
public sealed partial class WebSeedRelay(
    MirrorState state,
    IHttpClientFactory clients,
    IOptions<VolunteerAgentOptions> options,
    AgentMetrics metrics,
    ClippedAnswers clipped,
    TimeProvider time,
    ILogger<WebSeedRelay> logger)
{
    public const string PathPrefix = "/webseed/";

    /// <summary>Redirects in a row before a 504 (aria2 aborts a URI at 20).</summary>
    public const int RedirectsBeforeBackOff = 15;

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path.Value ?? string.Empty;
        var rest = path.Length > PathPrefix.Length ? path[PathPrefix.Length..] : string.Empty;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !InfoHash.TryParse(rest[..slash], out var hash) || state.Find(hash) is not { WebSeed: { } slicing } torrent)
        {
            context.Response.StatusCode = 404;
            return;
        }

        // Kestrel has decoded the path already (but not %2F); names never hold a '/'.
        if (slicing.Layout.Find(rest[(slash + 1)..]) is not { } file)
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (slicing.Origin.GoneAt is not null)
        {
            // The origin lost the file or is down: a 404 makes the engine drop this URI and take the rest from peers.
            context.Response.StatusCode = 404;
            return;
        }

        if (!TryRange(context.Request.Headers.Range.ToString(), file.Length, out var start, out var end))
        {
            context.Response.StatusCode = 416;
            context.Response.Headers.ContentRange = "bytes */" + file.Length.ToString(CultureInfo.InvariantCulture);
            return;
        }

        var settings = options.Value;
        var decision = slicing.Decide(file.Offset + start, torrent.Engine?.CompletedLength ?? 0, time.GetUtcNow(), settings.WebSeedSettle, settings.WebSeedStall);
        if (decision.Action == WebSeedAction.Defer)
        {
            metrics.Deferred();
            await DeferAsync(context).ConfigureAwait(false);
            return;
        }

        var last = Math.Min(end, decision.End - file.Offset - 1);
        await ForwardAsync(context, slicing, decision.Reason, file, start, end, last).ConfigureAwait(false);
    }

    private async Task DeferAsync(HttpContext context)
    {
        // A short pause keeps an engine that has nothing else to fetch from spinning on the relay.
        await Task.Delay(options.Value.WebSeedDeferDelay, time, context.RequestAborted).ConfigureAwait(false);
        var hop = int.TryParse(context.Request.Query["hop"], NumberStyles.None, CultureInfo.InvariantCulture, out var h) ? h : 0;
        context.Response.ContentLength = 0;
        if (hop < RedirectsBeforeBackOff)
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = context.Request.PathBase + context.Request.Path + "?hop=" + (hop + 1).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            context.Response.Headers.RetryAfter = "1";
        }
    }

    private async Task ForwardAsync(HttpContext context, WebSeedSlicing slicing, string reason, WebSeedFile file, long start, long end, long last)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, file.OriginUrl);
        request.Headers.Range = new RangeHeaderValue(start, last);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(nameof(WebSeedRelay)).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            OriginFailed(context, slicing, file, missing: false, ex.Message);
            return;
        }

        using (response)
        {
            var range = response.Content.Headers.ContentRange;
            if (response.StatusCode != HttpStatusCode.PartialContent || range?.From != start || range.To != last)
            {
                var missing = response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone;
                OriginFailed(context, slicing, file, missing, $"status {(int)response.StatusCode}, Content-Range {range}");
                return;
            }

            slicing.Origin.Served();

            if (last < end)
            {
                clipped.Mark(context);
            }

            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {start.ToString(CultureInfo.InvariantCulture)}-{end.ToString(CultureInfo.InvariantCulture)}/{file.Length.ToString(CultureInfo.InvariantCulture)}";
            context.Response.ContentLength = end - start + 1;
            context.Response.ContentType = "application/octet-stream";
            var body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                // One relay answer per ~256 KiB an engine fetches: rent the copy buffer rather than allocate 64 KiB each time.
                var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    int read;
                    while ((read = await body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                    {
                        await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                        slicing.Forwarded(read, reason);
                        metrics.OriginFetched(read, reason);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        // A clipped range: the body ends short of its Content-Length, and Kestrel ends the connection after the bytes
        // sent (reporting the short body as an application error, which ClippedAnswerLogFilter drops). Tried and
        // measured worse: context.Abort() after a flush (a reset that can overtake the last bytes, which the engine
        // then fetches again: 1.9 copies for 3 agents), and shutting the socket's sending side (a FIN before the
        // transport wrote them: 2.9 copies).
    }

    private void OriginFailed(HttpContext context, WebSeedSlicing slicing, WebSeedFile file, bool missing, string why)
    {
        LogOriginFailed(logger, file.OriginUrl, why);
        if (slicing.Origin.Failed(missing, file.OriginUrl, why, time.GetUtcNow()))
        {
            // Gone: the engine drops the URI (see WebSeedOriginWatch); the agent adds the torrent again once the origin answers.
            LogOriginGone(logger, file.OriginUrl, why);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        else
        {
            // The engine retries a 502 after retry-wait.
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    }

    /// <summary>A single range (<c>bytes=a-b</c>, <c>bytes=a-</c>) or none (the whole file).</summary>
    internal static bool TryRange(string header, long length, out long start, out long end)
    {
        start = 0;
        end = length - 1;
        if (string.IsNullOrEmpty(header))
        {
            return length > 0;
        }

        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var dash = header.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || !long.TryParse(header.AsSpan(6, dash - 6), NumberStyles.None, CultureInfo.InvariantCulture, out start))
        {
            return false;
        }

        if (dash + 1 < header.Length)
        {
            if (!long.TryParse(header.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                return false;
            }

            end = Math.Min(last, length - 1);
        }

        return start <= end;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The origin did not serve a web-seed range of {Url}: {Reason}")]
    private static partial void LogOriginFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The origin no longer serves the web seed {Url} ({Reason}): the engine is told to drop it and take the rest from peers until the origin answers again")]
    private static partial void LogOriginGone(ILogger logger, Uri url, string reason);
}
