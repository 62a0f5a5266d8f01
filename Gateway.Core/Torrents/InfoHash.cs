using System.Buffers.Binary;
using System.Security.Cryptography;
using Gateway.Core.Bencode;

namespace Gateway.Core.Torrents;

/// <summary>A v1 info hash: the SHA-1 of a torrent's bencoded <c>info</c> dictionary (20 bytes, compared by value, no allocation).</summary>
public readonly struct InfoHash : IEquatable<InfoHash>
{
    public const int Length = 20;

    private readonly ulong _first;
    private readonly ulong _second;
    private readonly uint _third;

    /// <summary>Takes exactly 20 raw bytes (as in an announce's <c>info_hash</c>).</summary>
    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An info hash is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _first = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _second = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _third = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    /// <summary>The SHA-1 of an encoded <c>info</c> dictionary.</summary>
    public static InfoHash OfInfo(ReadOnlySpan<byte> encodedInfo)
    {
        Span<byte> hash = stackalloc byte[Length];
#pragma warning disable CA5350 // BitTorrent v1 defines the info hash as SHA-1; it is an identifier here, not a security boundary.
        SHA1.HashData(encodedInfo, hash);
#pragma warning restore CA5350
        return new InfoHash(hash);
    }

    /// <summary>The info hash of a .torrent file's bytes (checks the whole file as strict bencode).</summary>
    public static InfoHash OfMetainfo(ReadOnlySpan<byte> metainfo)
    {
        if (!BencodeDecoder.TryGetRawValue(metainfo, "info"u8, out var range))
        {
            throw new BencodeException("The metainfo has no \"info\" dictionary", 0);
        }

        if (metainfo[range.Start.Value] != (byte)'d')
        {
            throw new BencodeException("The metainfo's \"info\" is not a dictionary", range.Start.Value);
        }

        return OfInfo(metainfo[range]);
    }

    /// <summary>Parses 40 hex digits (either case).</summary>
    public static InfoHash Parse(string hex) =>
        TryParse(hex, out var hash) ? hash : throw new FormatException($"'{hex}' is not 40 hex digits.");

    public static bool TryParse(string? hex, out InfoHash hash)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (hex is { Length: Length * 2 } && Convert.FromHexString(hex, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == Length)
        {
            hash = new InfoHash(bytes);
            return true;
        }

        hash = default;
        return false;
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _first);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _second);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..Length], _third);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>40 lowercase hex digits, as the manifest and most tools print it.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public bool Equals(InfoHash other) => _first == other._first && _second == other._second && _third == other._third;

    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_first, _second, _third);

    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);
}
