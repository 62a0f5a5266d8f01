using System.Globalization;
using System.Text;
using Gateway.Agent.Mirror;
using Gateway.Agent.Serving;
using Gateway.Core.Announce;
using Gateway.Core.Bencode;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Relay;

/// <summary>
/// The engine's tracker: every announce the engine sends anyway is forwarded to the real tracker at
/// <c>/announce/{key}</c> with the agent's load added (<c>x_http</c>, <c>x_peers</c>, <c>x_up</c>, <c>x_down</c>,
/// <c>x_cap</c>, written by the tracker's own <see cref="LoadFeedbackQuery"/>). No new message: the load rides on
/// the announce. A torrent the engine calls complete is announced as complete only once its SHA-256 check passed,
/// since seeding is what makes the gateway send customers.
/// </summary>
public sealed partial class AnnounceRelay(
    MirrorState state,
    CustomerTransfers transfers,
    WireTransfers wire,
    CompletionVerifier verifier,
    IHttpClientFactory clients,
    IOptions<VolunteerAgentOptions> options,
    TimeProvider time,
    ILogger<AnnounceRelay> logger)
{
    /// <summary>Longest an announce of a just-completed torrent waits for its SHA-256 check before it goes out as incomplete.</summary>
    public static readonly TimeSpan VerificationWait = TimeSpan.FromSeconds(20);

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        var queryAt = target.IndexOf('?', StringComparison.Ordinal);
        var query = queryAt < 0 ? string.Empty : target[(queryAt + 1)..];
        if (!AnnounceParser.TryParse(query, out var announce, out var failure))
        {
            await WriteAsync(context, 200, Failure(failure!)).ConfigureAwait(false);
            return;
        }

        var forwardedLeft = announce.Left;
        var torrent = state.Find(announce.InfoHash);
        if (torrent is not null && announce.Left == 0 && announce.Event != AnnounceEvent.Stopped)
        {
            var verified = await verifier.EnsureVerifiedAsync(torrent).WaitAsync(VerificationWait, time, context.RequestAborted)
                .ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default).ConfigureAwait(false);
            if (!verified)
            {
                // Not (yet) checked against the catalog: the tracker must not count it a seeder.
                forwardedLeft = Math.Max(1, torrent.Torrent.Size);
            }
        }

        if (torrent is not null)
        {
            torrent.LastAnnounce = new RelayedAnnounce(time.GetUtcNow(), announce.Event.ToString(), announce.Downloaded, announce.Uploaded, announce.Left, forwardedLeft);
        }

        var url = options.Value.KeyedAnnounceUrl + "?" + Rewrite(query, forwardedLeft == announce.Left ? null : forwardedLeft, CurrentLoad());
        try
        {
            using var response = await clients.CreateClient(nameof(AnnounceRelay)).GetAsync(new Uri(url), context.RequestAborted).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
            torrent?.WebSeed?.Observe(ReadSlice(body));
            await WriteAsync(context, (int)response.StatusCode, body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            LogTrackerUnreachable(logger, options.Value.TrackerUrl, ex.Message);
            await WriteAsync(context, 200, Failure($"the volunteer agent could not reach the tracker: {ex.Message}")).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The load this agent reports now: its customers' transfers — those still on the wire, which include the responses
    /// Kestrel still writes once their first bytes are out — and the engine's rates and connections. The bytes left
    /// are an upper bound: responses Kestrel still writes count whole, and their bytes already in the kernel count again.
    /// </summary>
    public LoadFeedback CurrentLoad()
    {
        var engine = state.Engine;
        var onWire = wire.Measure();
        return new LoadFeedback(
            Math.Max(transfers.Active, onWire.Transfers),
            engine.Connections,
            engine.UploadBytesPerSecond,
            engine.DownloadBytesPerSecond,
            options.Value.ReportedCapacityBytesPerSecond,
            transfers.CommittedBytes + onWire.QueuedBytes);
    }

    /// <summary>The engine's query with any load parameters of its own dropped, <c>left</c> replaced when asked, and ours appended.</summary>
    internal static string Rewrite(string query, long? left, LoadFeedback load)
    {
        var text = new StringBuilder(query.Length + 64);
        var pairs = new QueryPairs(query);
        while (pairs.MoveNext(out var name, out var value))
        {
            var ignored = default(LoadFeedback);
            if (LoadFeedbackQuery.TryApply(name, value, ref ignored) != LoadFeedbackQuery.Result.NotFeedback)
            {
                continue;
            }

            text.Append(text.Length == 0 ? string.Empty : "&").Append(name).Append('=');
            if (left is { } replaced && name is "left")
            {
                text.Append(replaced.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(value);
            }
        }

        return text.Append(LoadFeedbackQuery.Format(load)).ToString();
    }

    /// <summary>The web-seed members the tracker put in its reply (<c>x_members</c>, <c>x_self</c>), if any.</summary>
    internal static WebSeedSlice? ReadSlice(byte[] reply)
    {
        try
        {
            return BencodeDecoder.Decode(reply) is BencodeDictionary d
                && d.Get<BencodeString>(WebSeedSlice.SelfKey) is { } self
                && d.Get<BencodeString>(WebSeedSlice.MembersKey) is { } members
                ? WebSeedSlice.FromBytes(self.Bytes.Span, members.Bytes.Span)
                : null;
        }
        catch (BencodeException)
        {
            return null;
        }
    }

    private static byte[] Failure(string reason)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        AnnounceResponseWriter.WriteFailure(writer, reason);
        return writer.WrittenSpan.ToArray();
    }

    private static async Task WriteAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The tracker {Tracker} did not answer a relayed announce: {Reason}")]
    private static partial void LogTrackerUnreachable(ILogger logger, string tracker, string reason);
}
