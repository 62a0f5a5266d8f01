using System.Buffers.Binary;

namespace Gateway.Feedback.Tracker;

/// <summary>A BitTorrent peer id: 20 raw bytes chosen by the client, compared by value without allocating.</summary>
public readonly struct PeerId : IEquatable<PeerId>
{
    public const int Length = 20;

    private readonly ulong _first;
    private readonly ulong _second;
    private readonly uint _third;

    /// <summary>Takes exactly 20 raw bytes (as in an announce's <c>peer_id</c>).</summary>
    public PeerId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A peer id is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _first = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _second = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _third = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _first);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _second);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..Length], _third);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public bool Equals(PeerId other) => _first == other._first && _second == other._second && _third == other._third;

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_first, _second, _third);

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);
}
