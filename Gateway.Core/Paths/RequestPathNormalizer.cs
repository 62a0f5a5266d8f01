using System.Buffers;
using System.Text;

namespace Gateway.Core.Paths;

/// <summary>
/// Turns the raw request target into the exact catalog key, or says why it is refused.
/// Works on the raw target because Kestrel has already decoded <c>%2e%2e</c> and removed dot segments
/// from <c>Request.Path</c>, which would hide a hostile path instead of refusing it.
/// </summary>
public static class RequestPathNormalizer
{
    /// <summary>Longest raw target accepted, in characters.</summary>
    public const int MaxRawLength = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly SearchValues<byte> Forbidden = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)0x7F, (byte)'\\']);

    /// <summary>Normalizes a raw request target (origin-form or absolute-form, query allowed).</summary>
    /// <param name="rawTarget">The request target exactly as the client sent it.</param>
    /// <param name="maxPathBytes">Longest decoded path accepted.</param>
    /// <param name="path">The decoded path without the leading '/', on success.</param>
    /// <param name="error">Why the path is refused, in words a client's operator can act on.</param>
    public static bool TryNormalize(string? rawTarget, int maxPathBytes, out string path, out string error)
    {
        path = string.Empty;
        if (string.IsNullOrEmpty(rawTarget))
        {
            error = "The request has no path.";
            return false;
        }

        if (rawTarget.Length > MaxRawLength)
        {
            error = $"The request path is longer than {MaxRawLength} characters.";
            return false;
        }

        var target = rawTarget.AsSpan();
        var query = target.IndexOfAny('?', '#');
        if (query >= 0)
        {
            target = target[..query];
        }

        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var afterScheme = target.IndexOf("//", StringComparison.Ordinal) + 2;
            var slash = target[afterScheme..].IndexOf('/');
            target = slash < 0 ? "/" : target[(afterScheme + slash)..];
        }

        if (target.IsEmpty || target[0] != '/')
        {
            error = "The request path must start with '/'.";
            return false;
        }

        var buffer = target.Length <= 512 ? stackalloc byte[target.Length] : new byte[target.Length];
        if (!TryPercentDecode(target[1..], buffer, out var length, out error))
        {
            return false;
        }

        var bytes = buffer[..length];
        if (bytes.Length > maxPathBytes)
        {
            error = $"The decoded request path is longer than {maxPathBytes} bytes.";
            return false;
        }

        if (bytes.ContainsAny(Forbidden))
        {
            error = "The request path contains a control character, NUL or backslash.";
            return false;
        }

        if (!HasOnlyPlainSegments(bytes, allowTrailingSlash: true, out error))
        {
            return false;
        }

        try
        {
            path = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            error = "The request path is not valid UTF-8.";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>True when <paramref name="path"/> is a catalog path: relative, '/'-separated, no '.', '..' or empty segments.</summary>
    public static bool IsNormalizedRelativePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] == '/')
        {
            return false;
        }

        return IsNormalizedRelativePath(Encoding.UTF8.GetBytes(path));
    }

    /// <summary>The same check on a UTF-8 path (the catalog index stores paths as UTF-8); allocates nothing.</summary>
    public static bool IsNormalizedRelativePath(ReadOnlySpan<byte> utf8Path) =>
        !utf8Path.IsEmpty && utf8Path[0] != '/' && System.Text.Unicode.Utf8.IsValid(utf8Path)
        && !utf8Path.ContainsAny(Forbidden) && HasOnlyPlainSegments(utf8Path, allowTrailingSlash: false, out _);

    private static bool TryPercentDecode(ReadOnlySpan<char> source, Span<byte> destination, out int written, out string error)
    {
        written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '%')
            {
                if (!IsHex(source, i + 1) || !IsHex(source, i + 2))
                {
                    error = "The request path has a malformed percent-escape.";
                    return false;
                }

                var b = (byte)((HexValue(source[i + 1]) << 4) | HexValue(source[i + 2]));
                if (b == (byte)'/')
                {
                    error = "The request path contains an encoded slash (%2F).";
                    return false;
                }

                destination[written++] = b;
                i += 2;
            }
            else if (c > 0x7F)
            {
                error = "The request path contains a raw non-ASCII character; percent-encode it as UTF-8.";
                return false;
            }
            else
            {
                destination[written++] = (byte)c;
            }
        }

        error = string.Empty;
        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> s, int index) => index < s.Length && char.IsAsciiHexDigit(s[index]);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool HasOnlyPlainSegments(ReadOnlySpan<byte> path, bool allowTrailingSlash, out string error)
    {
        var rest = path;
        while (true)
        {
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            var isLast = slash < 0;
            if (segment.IsEmpty && !(isLast && allowTrailingSlash))
            {
                error = "The request path has an empty segment ('//').";
                return false;
            }

            if (segment.SequenceEqual("."u8) || segment.SequenceEqual(".."u8))
            {
                error = "The request path has a '.' or '..' segment.";
                return false;
            }

            if (isLast)
            {
                error = string.Empty;
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }
}
