using System.Buffers;
using System.Net;
using Gateway.Core.Announce;
using Gateway.Core.Torrents;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Http;

/// <summary>
/// The HTTP frontend (BEP 3, 23, 7, 48): <c>/announce</c>, <c>/announce/{key}</c>, <c>/scrape</c> and
/// <c>/scrape/{key}</c>, parsed from the raw request target. Every answer the client can act on is a bencoded
/// <c>failure reason</c> with status 200 (clients show it to their user); no exception leaves it. Transport-free:
/// <see cref="HttpTrackerListener"/> reads the request head and writes what this returns.
/// </summary>
public sealed partial class HttpTrackerFrontend(SwarmTracker tracker, AddressRateLimiter limiter, TrackerMetrics metrics, IOptionsMonitor<TrackerOptions> options, ILogger<HttpTrackerFrontend> logger)
{
    public const string RateLimited = "too many requests from your address; announce less often";

    /// <summary>What a client is told when the tracker itself failed (a bug or the store): nothing about the cause.</summary>
    public const string InternalFailure = "internal tracker error; retry later";

    private const string Protocol = "http";

    /// <summary>
    /// Answers one request for <paramref name="target"/> (the raw request target: path and query) from
    /// <paramref name="remote"/>, writing the bencoded body to <paramref name="output"/>; returns the HTTP status.
    /// Everything is parsed before the first await, so the caller may pass a span of its receive buffer.
    /// </summary>
    public ValueTask<int> HandleAsync(bool isGet, ReadOnlySpan<char> target, IPAddress remote, ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(output);
        var queryAt = target.IndexOf('?');
        var path = queryAt < 0 ? target : target[..queryAt];
        var query = queryAt < 0 ? [] : target[(queryAt + 1)..];
        var isAnnounce = TrySplit(path, "/announce", out var key);
        if (!isAnnounce && !TrySplit(path, "/scrape", out key))
        {
            return ValueTask.FromResult(404);
        }

        if (!isGet)
        {
            return ValueTask.FromResult(405);
        }

        try
        {
            if (!limiter.TryAcquire(remote))
            {
                Count(isAnnounce, RateLimited);
                AnnounceResponseWriter.WriteFailure(output, RateLimited);
                return ValueTask.FromResult(200);
            }

            if (isAnnounce)
            {
                if (!AnnounceParser.TryParse(query, out var request, out var failure))
                {
                    metrics.Announce(Protocol, failure!);
                    AnnounceResponseWriter.WriteFailure(output, failure!);
                    return ValueTask.FromResult(200);
                }

                return AnnounceAsync(output, request, key, remote, cancellationToken);
            }

            var max = options.CurrentValue.MaxScrapeHashes;
            var hashes = ArrayPool<InfoHash>.Shared.Rent(max);
            if (!AnnounceParser.TryParseScrape(query, hashes.AsSpan(0, max), out var count, out var scrapeFailure))
            {
                ArrayPool<InfoHash>.Shared.Return(hashes);
                metrics.Scrape(Protocol, scrapeFailure!);
                AnnounceResponseWriter.WriteFailure(output, scrapeFailure!);
                return ValueTask.FromResult(200);
            }

            return ScrapeAsync(output, hashes, count, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(InternalError(output, ex, isAnnounce));
        }
    }

    private async ValueTask<int> AnnounceAsync(ArrayBufferWriter<byte> output, AnnounceRequest request, string? key, IPAddress remote, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<SwarmPeer>.Shared.Rent(options.CurrentValue.MaxNumWant);
        try
        {
            var result = await tracker.AnnounceAsync(request, PeerAddress.From(remote, request.Port), key, buffer, cancellationToken).ConfigureAwait(false);
            metrics.Announce(Protocol, result.Failure);
            if (result.Failure is not null)
            {
                AnnounceResponseWriter.WriteFailure(output, result.Failure);
            }
            else
            {
                AnnounceResponseWriter.WriteAnnounce(output, result, buffer.AsSpan(0, result.PeersWritten), request.Compact, request.NoPeerId);
            }

            return 200;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return InternalError(output, ex, announce: true);
        }
        finally
        {
            ArrayPool<SwarmPeer>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> ScrapeAsync(ArrayBufferWriter<byte> output, InfoHash[] hashes, int count, CancellationToken cancellationToken)
    {
        var counts = ArrayPool<SwarmCounts>.Shared.Rent(count);
        try
        {
            var failure = await tracker.ScrapeAsync(hashes.AsMemory(0, count), counts.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            metrics.Scrape(Protocol, failure);
            if (failure is not null)
            {
                AnnounceResponseWriter.WriteFailure(output, failure);
            }
            else
            {
                AnnounceResponseWriter.WriteScrape(output, hashes.AsSpan(0, count), counts.AsSpan(0, count));
            }

            return 200;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return InternalError(output, ex, announce: false);
        }
        finally
        {
            ArrayPool<InfoHash>.Shared.Return(hashes);
            ArrayPool<SwarmCounts>.Shared.Return(counts);
        }
    }

    // Never a stack trace to the client: log it here and tell the client to retry.
    private int InternalError(ArrayBufferWriter<byte> output, Exception exception, bool announce)
    {
        LogHandlerFailed(logger, exception);
        Count(announce, InternalFailure);
        output.ResetWrittenCount();
        AnnounceResponseWriter.WriteFailure(output, InternalFailure);
        return 200;
    }

    private void Count(bool announce, string? failure)
    {
        if (announce)
        {
            metrics.Announce(Protocol, failure);
        }
        else
        {
            metrics.Scrape(Protocol, failure);
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
