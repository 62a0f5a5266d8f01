using Microsoft.Net.Http.Headers;

namespace Gateway.Core.Content;

/// <summary>The part of a file a customer asked for: the whole file, one satisfiable range, or an unsatisfiable one.</summary>
public readonly record struct ByteRange(long Start, long End, bool IsPartial, bool IsSatisfiable)
{
    /// <summary>Bytes in the range (End is inclusive).</summary>
    public long Length => End - Start + 1;

    /// <summary>
    /// Reads a single <c>Range: bytes=</c> request. Anything else (several ranges, other units, <c>If-Range</c>,
    /// which this server would have to check against a volunteer's validator) gets the whole file, as RFC 9110 allows.
    /// </summary>
    public static ByteRange Parse(IHeaderDictionary headers, long size)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var whole = new ByteRange(0, size - 1, false, true);
        var raw = headers.Range;
        if (raw.Count != 1 || headers.IfRange.Count != 0 || !RangeHeaderValue.TryParse(raw[0], out var parsed)
            || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return whole;
        }

        var range = parsed.Ranges.First();
        long start, end;
        if (range.From is { } from)
        {
            start = from;
            end = range.To is { } to ? Math.Min(to, size - 1) : size - 1;
        }
        else if (range.To is { } suffix && suffix > 0)
        {
            start = Math.Max(0, size - suffix);
            end = size - 1;
        }
        else
        {
            return new ByteRange(0, -1, true, false);
        }

        return start >= size || start > end ? new ByteRange(0, -1, true, false) : new ByteRange(start, end, true, true);
    }
}
