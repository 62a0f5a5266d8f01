using System.Globalization;
using Gateway.Core.Torrents;

namespace Gateway.Core.Announce;

/// <summary>Parses an HTTP announce's raw query string (BEP 3, BEP 23, and the load extension) into an <see cref="AnnounceRequest"/>.</summary>
public static class AnnounceParser
{
    /// <summary>Longest query accepted; a real announce is about 300 characters.</summary>
    public const int MaxQueryLength = 4096;

    /// <summary>Parses; on failure <paramref name="failure"/> is a message for the client's user.</summary>
    public static bool TryParse(ReadOnlySpan<char> query, out AnnounceRequest request, out string? failure)
    {
        request = default;
        if (query.Length > MaxQueryLength)
        {
            failure = "malformed request: the query is too long";
            return false;
        }

        Span<byte> bytes = stackalloc byte[InfoHash.Length];
        InfoHash? infoHash = null;
        PeerId? peerId = null;
        int? port = null;
        long uploaded = 0, downloaded = 0;
        long? left = null;
        int? numWant = null;
        var announceEvent = AnnounceEvent.None;
        bool compact = false, noPeerId = false;
        var feedback = default(LoadFeedback);
        var pairs = new QueryPairs(query);
        while (pairs.MoveNext(out var name, out var value))
        {
            switch (name)
            {
                case "info_hash":
                    if (infoHash is not null || !TryDecode20(value, bytes))
                    {
                        return Fail("malformed request: info_hash must appear once and be 20 bytes", out failure);
                    }

                    infoHash = new InfoHash(bytes);
                    break;
                case "peer_id":
                    if (peerId is not null || !TryDecode20(value, bytes))
                    {
                        return Fail("malformed request: peer_id must appear once and be 20 bytes", out failure);
                    }

                    peerId = new PeerId(bytes);
                    break;
                case "port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > ushort.MaxValue)
                    {
                        return Fail("malformed request: port must be 1-65535", out failure);
                    }

                    port = p;
                    break;
                case "uploaded":
                    if (!TryCount(value, out uploaded))
                    {
                        return Fail("malformed request: uploaded must be a whole number of bytes", out failure);
                    }

                    break;
                case "downloaded":
                    if (!TryCount(value, out downloaded))
                    {
                        return Fail("malformed request: downloaded must be a whole number of bytes", out failure);
                    }

                    break;
                case "left":
                    if (!TryCount(value, out var l))
                    {
                        return Fail("malformed request: left must be a whole number of bytes", out failure);
                    }

                    left = l;
                    break;
                case "event":
                    if (!TryEvent(value, out announceEvent))
                    {
                        return Fail("malformed request: event must be started, completed, stopped, paused or empty", out failure);
                    }

                    break;
                case "numwant":
                    // Clients send -1 for "the default"; anything else not a count is malformed.
                    if (value is "-1")
                    {
                        numWant = null;
                    }
                    else if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        numWant = n;
                    }
                    else
                    {
                        return Fail("malformed request: numwant must be a whole number", out failure);
                    }

                    break;
                case "compact":
                    compact = value is "1";
                    break;
                case "no_peer_id":
                    noPeerId = value is "1";
                    break;
                default:
                    if (LoadFeedbackQuery.TryApply(name, value, ref feedback) == LoadFeedbackQuery.Result.Invalid)
                    {
                        return Fail("malformed request: load parameters (x_http, x_peers, x_up, x_down, x_cap, x_http_left) must be whole numbers", out failure);
                    }

                    // Everything else (key, trackerid, supportcrypto, ip, corrupt, ...) is accepted and not needed.
                    break;
            }
        }

        if (infoHash is null || peerId is null || port is null || left is null)
        {
            return Fail("malformed request: an announce needs info_hash, peer_id, port and left", out failure);
        }

        request = new AnnounceRequest(infoHash.Value, peerId.Value, (ushort)port.Value, uploaded, downloaded, left.Value, announceEvent, numWant, compact, noPeerId, feedback);
        failure = null;
        return true;
    }

    /// <summary>The info hashes of a scrape's query (BEP 48: <c>info_hash</c> repeats); at most <paramref name="hashes"/>.Length.</summary>
    public static bool TryParseScrape(ReadOnlySpan<char> query, Span<InfoHash> hashes, out int count, out string? failure)
    {
        count = 0;
        if (query.Length > MaxQueryLength)
        {
            return Fail("malformed request: the query is too long", out failure);
        }

        Span<byte> bytes = stackalloc byte[InfoHash.Length];
        var pairs = new QueryPairs(query);
        while (pairs.MoveNext(out var name, out var value))
        {
            if (name is not "info_hash")
            {
                continue;
            }

            if (!TryDecode20(value, bytes))
            {
                return Fail("malformed request: every info_hash must be 20 bytes", out failure);
            }

            if (count == hashes.Length)
            {
                return Fail($"malformed request: scrape at most {hashes.Length} info_hash values at once", out failure);
            }

            hashes[count++] = new InfoHash(bytes);
        }

        if (count == 0)
        {
            return Fail("malformed request: a scrape needs at least one info_hash (full scrapes are not served)", out failure);
        }

        failure = null;
        return true;
    }

    internal static bool TryEvent(ReadOnlySpan<char> value, out AnnounceEvent result)
    {
        result = value switch
        {
            "" or "empty" => AnnounceEvent.None,
            "started" => AnnounceEvent.Started,
            "completed" => AnnounceEvent.Completed,
            "stopped" => AnnounceEvent.Stopped,
            "paused" => AnnounceEvent.Paused,
            _ => (AnnounceEvent)(-1),
        };
        return result >= 0;
    }

    private static bool TryDecode20(ReadOnlySpan<char> raw, Span<byte> bytes) =>
        QueryPairs.TryDecode(raw, bytes, out var written) && written == bytes.Length;

    private static bool TryCount(ReadOnlySpan<char> value, out long result) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);

    private static bool Fail(string message, out string? failure)
    {
        failure = message;
        return false;
    }
}
