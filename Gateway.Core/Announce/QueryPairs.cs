namespace Gateway.Core.Announce;

/// <summary>
/// Walks the <c>name=value</c> pairs of a raw (still percent-encoded) query string without allocating.
/// The tracker must see the raw query: <c>info_hash</c> and <c>peer_id</c> are binary, and decoding them as
/// UTF-8 (as <c>HttpRequest.Query</c> does) corrupts them.
/// </summary>
public ref struct QueryPairs
{
    private ReadOnlySpan<char> _rest;

    public QueryPairs(ReadOnlySpan<char> query) => _rest = query.StartsWith('?') ? query[1..] : query;

    public bool MoveNext(out ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        while (!_rest.IsEmpty)
        {
            var end = _rest.IndexOf('&');
            var pair = end < 0 ? _rest : _rest[..end];
            _rest = end < 0 ? [] : _rest[(end + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            name = equals < 0 ? pair : pair[..equals];
            value = equals < 0 ? [] : pair[(equals + 1)..];
            return true;
        }

        name = value = default;
        return false;
    }

    /// <summary>
    /// Percent-decodes a raw value into bytes: <c>%XX</c> is that byte, <c>+</c> stays <c>+</c> (BitTorrent clients
    /// encode a space as %20), and any other character must be a single byte. False on a bad escape or when it does not fit.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> raw, Span<byte> destination, out int written)
    {
        written = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (written == destination.Length)
            {
                return false;
            }

            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length)
                {
                    return false;
                }

                var high = HexValue(raw[i + 1]);
                var low = HexValue(raw[i + 2]);
                if ((high | low) < 0)
                {
                    return false;
                }

                destination[written++] = (byte)((high << 4) | low);
                i += 2;
            }
            else if (c <= 0xFF)
            {
                destination[written++] = (byte)c;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
