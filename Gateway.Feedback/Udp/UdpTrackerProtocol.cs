using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using Gateway.Core.Announce;
using Gateway.Core.Torrents;
using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Udp;

/// <summary>
/// BEP 15 packets in and out (all integers big-endian): connect, announce (with BEP 41 URL data carrying the
/// volunteer key and load parameters), scrape and error. One request packet → at most one reply packet.
/// </summary>
public sealed class UdpTrackerProtocol(SwarmTracker tracker, UdpConnectionIds connectionIds, AddressRateLimiter limiter, TrackerMetrics metrics, IOptionsMonitor<TrackerOptions> options)
{
    public const long ProtocolId = 0x41727101980;
    public const int ActionConnect = 0;
    public const int ActionAnnounce = 1;
    public const int ActionScrape = 2;
    public const int ActionError = 3;

    private const string Protocol = "udp";
    public const int AnnounceLength = 98;

    /// <summary>Largest reply: 20 bytes of header and up to 2000 IPv6 peers.</summary>
    public const int MaxReplyLength = 20 + (2000 * PeerAddress.CompactV6Length);

    /// <summary>
    /// Handles one packet from <paramref name="from"/> (<paramref name="source"/> is its raw socket address) and writes
    /// the reply to <paramref name="reply"/>; returns the reply's length, 0 for no reply (a packet too short to answer).
    /// </summary>
    public ValueTask<int> HandleAsync(ReadOnlyMemory<byte> packet, IPEndPoint from, ReadOnlyMemory<byte> source, Memory<byte> reply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        return HandleAsync(packet, PeerAddress.From(from.Address, (ushort)from.Port), source, reply, cancellationToken);
    }

    /// <summary>As above, with the sender as a <see cref="PeerAddress"/> (the receive loop's allocation-free form).</summary>
    public async ValueTask<int> HandleAsync(ReadOnlyMemory<byte> packet, PeerAddress from, ReadOnlyMemory<byte> source, Memory<byte> reply, CancellationToken cancellationToken)
    {
        if (packet.Length < 16)
        {
            return 0;
        }

        var head = packet.Span;
        var connectionId = BinaryPrimitives.ReadInt64BigEndian(head);
        var action = BinaryPrimitives.ReadInt32BigEndian(head[8..]);
        var transactionId = BinaryPrimitives.ReadInt32BigEndian(head[12..]);
        if (limiter.IsEnabled && !limiter.TryAcquire(from.ToIPAddress()))
        {
            Count(action, HttpTrackerFrontend.RateLimited);
            return Error(reply.Span, transactionId, HttpTrackerFrontend.RateLimited);
        }

        if (action == ActionConnect)
        {
            if (connectionId != ProtocolId)
            {
                return Error(reply.Span, transactionId, "malformed request: a connect must carry the protocol id 0x41727101980");
            }

            var span = reply.Span;
            BinaryPrimitives.WriteInt32BigEndian(span, ActionConnect);
            BinaryPrimitives.WriteInt32BigEndian(span[4..], transactionId);
            BinaryPrimitives.WriteInt64BigEndian(span[8..], connectionIds.Issue(source.Span));
            return 16;
        }

        if (!connectionIds.IsValid(connectionId, source.Span))
        {
            return Error(reply.Span, transactionId, "connection id expired or unknown; connect again");
        }

        return action switch
        {
            ActionAnnounce => await AnnounceAsync(packet, from, transactionId, reply, cancellationToken).ConfigureAwait(false),
            ActionScrape => await ScrapeAsync(packet, transactionId, reply, cancellationToken).ConfigureAwait(false),
            _ => Error(reply.Span, transactionId, "malformed request: unknown action"),
        };
    }

    private void Count(int action, string failure)
    {
        if (action == ActionAnnounce)
        {
            metrics.Announce(Protocol, failure);
        }
        else if (action == ActionScrape)
        {
            metrics.Scrape(Protocol, failure);
        }
    }

    /// <summary>An error packet: action 3, the transaction id, and the message.</summary>
    public static int Error(Span<byte> reply, int transactionId, string message)
    {
        BinaryPrimitives.WriteInt32BigEndian(reply, ActionError);
        BinaryPrimitives.WriteInt32BigEndian(reply[4..], transactionId);
        return 8 + Encoding.UTF8.GetBytes(message, reply[8..]);
    }

    private async ValueTask<int> AnnounceAsync(ReadOnlyMemory<byte> packet, PeerAddress from, int transactionId, Memory<byte> reply, CancellationToken cancellationToken)
    {
        if (!TryParseAnnounce(packet.Span, out var request, out var key, out var failure))
        {
            metrics.Announce(Protocol, failure!);
            return Error(reply.Span, transactionId, failure!);
        }

        var settings = options.CurrentValue;
        var buffer = ArrayPool<SwarmPeer>.Shared.Rent(settings.MaxNumWant);
        try
        {
            var address = from.WithPort(request.Port);
            AnnounceResult result;
            try
            {
                result = await tracker.AnnounceAsync(request, address, key, buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The client is told to retry (as over HTTP); the receive loop logs nothing else for it.
                metrics.Announce(Protocol, HttpTrackerFrontend.InternalFailure);
                return Error(reply.Span, transactionId, HttpTrackerFrontend.InternalFailure);
            }

            metrics.Announce(Protocol, result.Failure);
            if (result.Failure is not null)
            {
                return Error(reply.Span, transactionId, result.Failure);
            }

            var span = reply.Span;
            BinaryPrimitives.WriteInt32BigEndian(span, ActionAnnounce);
            BinaryPrimitives.WriteInt32BigEndian(span[4..], transactionId);
            BinaryPrimitives.WriteInt32BigEndian(span[8..], result.IntervalSeconds);
            BinaryPrimitives.WriteInt32BigEndian(span[12..], result.Counts.Leechers);
            BinaryPrimitives.WriteInt32BigEndian(span[16..], result.Counts.Seeders);
            var length = 20;

            // The reply's address size follows the request's family: 6 bytes over IPv4, 18 over IPv6.
            foreach (var peer in buffer.AsSpan(0, result.PeersWritten))
            {
                if (peer.Address.IsV6 == address.IsV6)
                {
                    length += peer.Address.WriteCompact(span[length..]);
                }
            }

            return length;
        }
        finally
        {
            ArrayPool<SwarmPeer>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> ScrapeAsync(ReadOnlyMemory<byte> packet, int transactionId, Memory<byte> reply, CancellationToken cancellationToken)
    {
        var count = (packet.Length - 16) / InfoHash.Length;
        var max = Math.Min(options.CurrentValue.MaxScrapeHashes, 74);
        if (count == 0 || count > max || (packet.Length - 16) % InfoHash.Length != 0)
        {
            metrics.Scrape(Protocol, "malformed");
            return Error(reply.Span, transactionId, $"malformed request: a scrape carries 1 to {max} info hashes of 20 bytes");
        }

        var hashes = new InfoHash[count];
        for (var i = 0; i < count; i++)
        {
            hashes[i] = new InfoHash(packet.Span.Slice(16 + (i * InfoHash.Length), InfoHash.Length));
        }

        var counts = new SwarmCounts[count];
        string? failure;
        try
        {
            failure = await tracker.ScrapeAsync(hashes, counts, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            failure = HttpTrackerFrontend.InternalFailure;
        }

        metrics.Scrape(Protocol, failure);
        if (failure is not null)
        {
            return Error(reply.Span, transactionId, failure);
        }

        var span = reply.Span;
        BinaryPrimitives.WriteInt32BigEndian(span, ActionScrape);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], transactionId);
        for (var i = 0; i < count; i++)
        {
            var at = 8 + (i * 12);
            BinaryPrimitives.WriteInt32BigEndian(span[at..], counts[i].Seeders);
            BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], counts[i].Completed);
            BinaryPrimitives.WriteInt32BigEndian(span[(at + 8)..], counts[i].Leechers);
        }

        return 8 + (count * 12);
    }

    /// <summary>Parses a 98-byte announce and its BEP 41 options (URL data: <c>/announce/{key}?x_up=…</c>).</summary>
    internal static bool TryParseAnnounce(ReadOnlySpan<byte> packet, out AnnounceRequest request, out string? key, out string? failure)
    {
        request = default;
        key = null;
        if (packet.Length < AnnounceLength)
        {
            failure = "malformed request: an announce is at least 98 bytes";
            return false;
        }

        var downloaded = BinaryPrimitives.ReadInt64BigEndian(packet[56..]);
        var left = BinaryPrimitives.ReadInt64BigEndian(packet[64..]);
        var uploaded = BinaryPrimitives.ReadInt64BigEndian(packet[72..]);
        var announceEvent = BinaryPrimitives.ReadInt32BigEndian(packet[80..]);
        var numWant = BinaryPrimitives.ReadInt32BigEndian(packet[92..]);
        var port = BinaryPrimitives.ReadUInt16BigEndian(packet[96..]);
        if (downloaded < 0 || left < 0 || uploaded < 0 || announceEvent is < 0 or > 3 || port == 0)
        {
            failure = "malformed request: negative counters, an unknown event or port 0";
            return false;
        }

        // BEP 41 URL data: the path and query an HTTP announce would have had, split over URLData options.
        var feedback = default(LoadFeedback);
        if (!TryReadUrlData(packet[AnnounceLength..], out var url))
        {
            failure = "malformed request: bad BEP 41 options";
            return false;
        }

        if (url.Length > 0)
        {
            var queryAt = url.IndexOf('?', StringComparison.Ordinal);
            var path = queryAt < 0 ? url.AsSpan() : url.AsSpan(0, queryAt);
            if (!HttpTrackerFrontend.TrySplit(path, "/announce", out key) && path.Length > 0)
            {
                failure = "malformed request: the URL data path must be /announce or /announce/{key}";
                return false;
            }

            var pairs = new QueryPairs(queryAt < 0 ? [] : url.AsSpan(queryAt + 1));
            while (pairs.MoveNext(out var name, out var value))
            {
                if (LoadFeedbackQuery.TryApply(name, value, ref feedback) == LoadFeedbackQuery.Result.Invalid)
                {
                    failure = "malformed request: load parameters (x_http, x_peers, x_up, x_down, x_cap, x_http_left) must be whole numbers";
                    return false;
                }
            }
        }

        request = new AnnounceRequest(
            new InfoHash(packet.Slice(16, InfoHash.Length)),
            new PeerId(packet.Slice(36, PeerId.Length)),
            port,
            uploaded,
            downloaded,
            left,
            (AnnounceEvent)announceEvent,
            numWant < 0 ? null : numWant,
            Compact: true,
            NoPeerId: true,
            feedback);
        failure = null;
        return true;
    }

    private static bool TryReadUrlData(ReadOnlySpan<byte> options, out string url)
    {
        url = string.Empty;
        if (options.Length > 1024)
        {
            // Real URL data is a path and a short query; more is not an announce.
            return false;
        }

        Span<byte> data = stackalloc byte[options.Length];
        var length = 0;
        var i = 0;
        while (i < options.Length)
        {
            switch (options[i])
            {
                case 0:
                    i = options.Length;
                    break;
                case 1:
                    i++;
                    break;
                case 2:
                    if (i + 1 >= options.Length || i + 2 + options[i + 1] > options.Length)
                    {
                        return false;
                    }

                    options.Slice(i + 2, options[i + 1]).CopyTo(data[length..]);
                    length += options[i + 1];
                    i += 2 + options[i + 1];
                    break;
                default:
                    // Unknown option types have no defined length: stop reading, as BEP 41 says.
                    i = options.Length;
                    break;
            }
        }

        url = Encoding.Latin1.GetString(data[..length]);
        return true;
    }
}
