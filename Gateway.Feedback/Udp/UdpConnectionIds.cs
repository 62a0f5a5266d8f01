using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Gateway.Feedback.Udp;

/// <summary>
/// Stateless BEP 15 connection ids: a keyed MAC of the client's address and the current time window, so the tracker
/// keeps nothing per connect and a spoofed source cannot announce without first receiving the id. An id is
/// accepted in its own window and the next (1–2 minutes), as BEP 15 expects. The MAC is SipHash-2-4, a PRF made
/// for short inputs: every announce checks one, and an HMAC-SHA256 cost more than the rest of a UDP announce's
/// tracker logic. Its 128-bit key is derived from the configured secret with HMAC-SHA256 once.
/// </summary>
public sealed class UdpConnectionIds
{
    /// <summary>Length of one time window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ulong _k0;
    private readonly ulong _k1;
    private readonly TimeProvider _time;

    public UdpConnectionIds(ReadOnlyMemory<byte> key, TimeProvider time)
    {
        Span<byte> derived = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key.Span, "BEP 15 connection id"u8, derived);
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(derived);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(derived[8..]);
        _time = time;
    }

    /// <summary>The id for a connect from <paramref name="source"/> (the raw socket address: family, port, address).</summary>
    public long Issue(ReadOnlySpan<byte> source) => Compute(source, CurrentWindow());

    public bool IsValid(long connectionId, ReadOnlySpan<byte> source)
    {
        var window = CurrentWindow();
        return connectionId == Compute(source, window) || connectionId == Compute(source, window - 1);
    }

    /// <summary>A key for one process: ids then stop working when it restarts, and clients simply connect again.</summary>
    public static byte[] RandomKey() => RandomNumberGenerator.GetBytes(32);

    private long CurrentWindow() => _time.GetUtcNow().UtcTicks / Window.Ticks;

    private long Compute(ReadOnlySpan<byte> source, long window)
    {
        Span<byte> data = stackalloc byte[8 + Math.Min(source.Length, 128)];
        BinaryPrimitives.WriteInt64LittleEndian(data, window);
        source[..(data.Length - 8)].CopyTo(data[8..]);
        return (long)SipHash24(_k0, _k1, data);
    }

    /// <summary>SipHash-2-4 (Aumasson and Bernstein, 2012) of <paramref name="data"/> under the key (k0, k1).</summary>
    internal static ulong SipHash24(ulong k0, ulong k1, ReadOnlySpan<byte> data)
    {
        var v0 = 0x736f6d6570736575UL ^ k0;
        var v1 = 0x646f72616e646f6dUL ^ k1;
        var v2 = 0x6c7967656e657261UL ^ k0;
        var v3 = 0x7465646279746573UL ^ k1;
        var blocks = data.Length / 8;
        for (var i = 0; i < blocks; i++)
        {
            var m = BinaryPrimitives.ReadUInt64LittleEndian(data[(i * 8)..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        var last = (ulong)(data.Length & 0xFF) << 56;
        var tail = data[(blocks * 8)..];
        for (var i = 0; i < tail.Length; i++)
        {
            last |= (ulong)tail[i] << (8 * i);
        }

        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        for (var i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
