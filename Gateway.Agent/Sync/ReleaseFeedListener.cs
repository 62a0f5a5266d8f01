using System.Net.ServerSentEvents;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Sync;

/// <summary>
/// Tells <see cref="MirrorAgentService"/> to fetch the manifest now: set by <see cref="ReleaseFeedListener"/> when the
/// gateway's release feed announces a catalog. At most one pending signal.
/// </summary>
public sealed class ReleaseSignal
{
    private int _raised;

    public void Raise() => Volatile.Write(ref _raised, 1);

    /// <summary>True (once) when a release was announced since the last call.</summary>
    public bool TryConsume() => Interlocked.Exchange(ref _raised, 0) == 1;
}

/// <summary>
/// Holds the gateway's release feed open (<c>Volunteer:ReleaseFeedUrl</c>, Server-Sent Events): every <c>catalog</c>
/// event (one when the stream opens, one per new catalog) raises <see cref="ReleaseSignal"/>, so the agent starts syncing a
/// new release within a second of the gateway loading it instead of at its next poll. The poll goes on as before:
/// when the feed is down (refused, cut, malformed) the agent only loses that head start, and reconnects after a
/// growing pause. Nothing the feed sends can stop the agent.
/// </summary>
public sealed partial class ReleaseFeedListener(
    IHttpClientFactory clients,
    ReleaseSignal signal,
    IOptions<VolunteerAgentOptions> options,
    TimeProvider time,
    ILogger<ReleaseFeedListener> logger) : BackgroundService
{
    private const string CatalogEvent = "catalog";
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    // The gateway sends a keep-alive at least every minute (Gateway:ReleaseFeedKeepAlive): a stream silent for longer
    // went dead without a close (a lost route, a stuck proxy) and is opened again.
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromMinutes(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var url = options.Value.ReleaseFeedUrl;
        if (string.IsNullOrEmpty(url))
        {
            return;
        }

        var pause = FirstPause;
        var connected = false;

        // One warning per outage, not one per reconnect attempt: the rest are at debug level.
        var down = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var version in VersionsAsync(new Uri(url), stoppingToken).ConfigureAwait(false))
                {
                    if (!connected)
                    {
                        connected = true;
                        down = false;
                        LogConnected(logger, url);
                    }

                    // The gateway's version names its own source (a file's timestamp, or the origin's ETag), not
                    // necessarily the one this agent reads: every event costs one conditional GET of the manifest.
                    pause = FirstPause;
                    LogRelease(logger, version);
                    signal.Raise();
                }

                Lost(url, "the stream ended", ref down);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException or FormatException
                || ex is OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                Lost(url, ex.Message, ref down);
            }

            connected = false;
            try
            {
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    private void Lost(string url, string reason, ref bool down)
    {
        if (down)
        {
            LogStillLost(logger, url, reason);
            return;
        }

        down = true;
        LogLost(logger, url, reason);
    }

    /// <summary>The versions the feed names, as they come; other events (keep-alives) and empty data are skipped.</summary>
    private async IAsyncEnumerable<string> VersionsAsync(Uri url, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await clients.CreateClient(nameof(ReleaseFeedListener)).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            throw new InvalidOperationException($"answered {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not text/event-stream");
        }

        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(SilenceLimit);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await foreach (var item in SseParser.Create(body).EnumerateAsync(silence.Token).ConfigureAwait(false))
            {
                silence.CancelAfter(SilenceLimit);
                if (item.EventType == CatalogEvent && item.Data.Length is > 0 and <= 256)
                {
                    yield return item.Data;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following the release feed at {Url}")]
    private static partial void LogConnected(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Release feed: the gateway has catalog version {Version}; checking the manifest now")]
    private static partial void LogRelease(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Release feed at {Url} unavailable ({Reason}); polling the manifest meanwhile, reconnecting")]
    private static partial void LogLost(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Release feed at {Url} still unavailable ({Reason})")]
    private static partial void LogStillLost(ILogger logger, string url, string reason);
}
