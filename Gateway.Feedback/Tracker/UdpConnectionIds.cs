using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// Stateless BEP 15 connection ids: an HMAC of the client's address and the current time window, so the tracker
/// keeps nothing per connect and a spoofed source cannot announce without first receiving the id. An id is
/// accepted in its own window and the next (1–2 minutes), as BEP 15 expects.
/// </summary>
public sealed class UdpConnectionIds(ReadOnlyMemory<byte> key, TimeProvider time)
{
    /// <summary>Length of one time window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The id for a connect from <paramref name="source"/> (the raw socket address: family, port, address).</summary>
    public long Issue(ReadOnlySpan<byte> source) => Compute(source, CurrentWindow());

    public bool IsValid(long connectionId, ReadOnlySpan<byte> source)
    {
        var window = CurrentWindow();
        return connectionId == Compute(source, window) || connectionId == Compute(source, window - 1);
    }

    /// <summary>A key for one process: ids then stop working when it restarts, and clients simply connect again.</summary>
    public static byte[] RandomKey() => RandomNumberGenerator.GetBytes(32);

    private long CurrentWindow() => time.GetUtcNow().UtcTicks / Window.Ticks;

    private long Compute(ReadOnlySpan<byte> source, long window)
    {
        Span<byte> data = stackalloc byte[8 + Math.Min(source.Length, 128)];
        BinaryPrimitives.WriteInt64BigEndian(data, window);
        source[..(data.Length - 8)].CopyTo(data[8..]);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key.Span, data, mac);
        return BinaryPrimitives.ReadInt64BigEndian(mac);
    }
}
