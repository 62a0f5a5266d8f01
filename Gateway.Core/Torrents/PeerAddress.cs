using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Core.Torrents;

/// <summary>
/// Where a peer listens: an IPv4 or IPv6 address and a port, stored inline (no <see cref="IPAddress"/> kept per
/// peer) and written straight into compact replies (BEP 23: 6 bytes; BEP 7: 18 bytes).
/// </summary>
public readonly struct PeerAddress : IEquatable<PeerAddress>
{
    /// <summary>Bytes of a compact IPv4 peer: 4 of address, 2 of port.</summary>
    public const int CompactV4Length = 6;

    /// <summary>Bytes of a compact IPv6 peer: 16 of address, 2 of port.</summary>
    public const int CompactV6Length = 18;

    private readonly ulong _high;
    private readonly ulong _low;

    private PeerAddress(ulong high, ulong low, ushort port, bool isV6)
    {
        _high = high;
        _low = low;
        Port = port;
        IsV6 = isV6;
    }

    public ushort Port { get; }

    /// <summary>True for an IPv6 peer (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public bool IsV6 { get; }

    public int CompactLength => IsV6 ? CompactV6Length : CompactV4Length;

    public static PeerAddress From(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), port, isV6: false);
        }

        address.TryWriteBytes(bytes, out _);
        return new PeerAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), port, isV6: true);
    }

    /// <summary>The address and port of a raw socket address (as a UDP receive fills it), without allocating.</summary>
    public static PeerAddress From(SocketAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bytes = source.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (source.Family == AddressFamily.InterNetwork)
        {
            return new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), port, isV6: false);
        }

        // sockaddr_in6: family, port, flow info, then the 16 address bytes.
        return FromV6Bytes(bytes[8..24], port);
    }

    // An IPv4-mapped IPv6 address is IPv4, as in From(IPAddress, ushort).
    private static PeerAddress FromV6Bytes(ReadOnlySpan<byte> address, ushort port)
    {
        var high = BinaryPrimitives.ReadUInt64BigEndian(address);
        var low = BinaryPrimitives.ReadUInt64BigEndian(address[8..]);
        return high == 0 && (low >> 32) == 0xFFFF
            ? new PeerAddress(0, low & 0xFFFF_FFFF, port, isV6: false)
            : new PeerAddress(high, low, port, isV6: true);
    }

    /// <summary>The address and port of a Linux <c>sockaddr_in</c> (family 2) or <c>sockaddr_in6</c> (family 10), as <c>recvmmsg</c> fills it.</summary>
    public static PeerAddress FromLinuxSocketAddress(ReadOnlySpan<byte> bytes)
    {
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes) == 2)
        {
            return new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), port, isV6: false);
        }

        return FromV6Bytes(bytes[8..24], port);
    }

    /// <summary>The same address with another port (an announce's <c>port</c>).</summary>
    public PeerAddress WithPort(ushort port) => new(_high, _low, port, IsV6);

    /// <summary>An IPv4 peer from the 4 big-endian address bytes of a UDP announce's <c>ip</c> field.</summary>
    public static PeerAddress FromV4(uint address, ushort port) => new(0, address, port, isV6: false);

    /// <summary>Reads the compact form <see cref="WriteCompact"/> wrote (6 bytes for IPv4, 18 for IPv6).</summary>
    public static PeerAddress FromCompact(ReadOnlySpan<byte> compact) => compact.Length switch
    {
        CompactV4Length => new PeerAddress(0, BinaryPrimitives.ReadUInt32BigEndian(compact), BinaryPrimitives.ReadUInt16BigEndian(compact[4..]), isV6: false),
        CompactV6Length => new PeerAddress(BinaryPrimitives.ReadUInt64BigEndian(compact), BinaryPrimitives.ReadUInt64BigEndian(compact[8..]), BinaryPrimitives.ReadUInt16BigEndian(compact[16..]), isV6: true),
        _ => throw new ArgumentException($"A compact peer is {CompactV4Length} or {CompactV6Length} bytes, not {compact.Length}.", nameof(compact)),
    };

    /// <summary>Writes the compact form (address then port, big-endian) and returns its length.</summary>
    public int WriteCompact(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
            BinaryPrimitives.WriteUInt16BigEndian(destination[16..], Port);
            return CompactV6Length;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Port);
        return CompactV4Length;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _low);
            return new IPAddress(bytes);
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)_low);
        return new IPAddress(bytes[..4]);
    }

    public override string ToString() => IsV6 ? $"[{ToIPAddress()}]:{Port}" : $"{ToIPAddress()}:{Port}";

    public bool Equals(PeerAddress other) => _high == other._high && _low == other._low && Port == other.Port && IsV6 == other.IsV6;

    public override bool Equals(object? obj) => obj is PeerAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, Port, IsV6);

    public static bool operator ==(PeerAddress left, PeerAddress right) => left.Equals(right);

    public static bool operator !=(PeerAddress left, PeerAddress right) => !left.Equals(right);
}
