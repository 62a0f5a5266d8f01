using System.Buffers;
using System.Text;

namespace Gateway.Feedback.Http;

/// <summary>
/// What <see cref="HttpTrackerListener"/> needs from an HTTP/1.x request head: the method, the raw target, whether
/// the connection stays open, and whether a body follows. Strict where it matters (one request line of three
/// parts, an origin-form target, HTTP/1.0 or 1.1, every header line with a colon, no folding); every other header
/// is skipped unread.
/// </summary>
public readonly record struct RequestHead(bool IsGet, int TargetStart, int TargetLength, bool KeepAlive, bool HasBody)
{
    private static readonly SearchValues<byte> Separators = SearchValues.Create("\"(),/:;<=>?@[\\]{}"u8);

    /// <summary>Parses <paramref name="head"/>: the bytes up to and including the blank line that ends it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out RequestHead result)
    {
        result = default;
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return false;
        }

        var line = head[..lineEnd];
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            return false;
        }

        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (target[0] != (byte)'/' || !IsTargetText(target) || !IsToken(method))
        {
            return false;
        }

        bool keepAlive;
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            keepAlive = true;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            keepAlive = false;
        }
        else
        {
            return false;
        }

        var hasBody = false;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            var end = rest.IndexOf("\r\n"u8);
            if (end < 0)
            {
                return false;
            }

            if (end == 0)
            {
                break;
            }

            var header = rest[..end];
            rest = rest[(end + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(header[..colon]))
            {
                return false;
            }

            var name = header[..colon];
            var value = header[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                keepAlive = Connection(value, keepAlive);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && !value.SequenceEqual("0"u8)))
            {
                hasBody = true;
            }
        }

        result = new RequestHead(method.SequenceEqual("GET"u8), firstSpace + 1, lastSpace - firstSpace - 1, keepAlive, hasBody);
        return true;
    }

    // "close" wins over anything else in the list; "keep-alive" turns it on for HTTP/1.0.
    private static bool Connection(ReadOnlySpan<byte> value, bool keepAlive)
    {
        foreach (var range in value.Split((byte)','))
        {
            var option = value[range].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(option, "close"u8))
            {
                return false;
            }

            if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
            {
                keepAlive = true;
            }
        }

        return keepAlive;
    }

    // Any visible byte: clients percent-encode binary values, but old ones send some bytes raw, and the
    // tracker's parser decides what they mean.
    private static bool IsTargetText(ReadOnlySpan<byte> target) => target.IndexOfAnyInRange((byte)0, (byte)' ') < 0 && !target.Contains((byte)0x7F);

    private static bool IsToken(ReadOnlySpan<byte> token) => !token.IsEmpty && token.IndexOfAnyExceptInRange((byte)'!', (byte)'~') < 0 && token.IndexOfAny(Separators) < 0;
}
