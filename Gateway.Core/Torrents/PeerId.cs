namespace Gateway.Core.Torrents;

/// <summary>A BitTorrent peer id: 20 raw bytes chosen by the client, compared by value without allocating.</summary>
/// <remarks>Stored as the same 20-byte value type as an info hash, which already packs and compares 20 bytes.</remarks>
public readonly struct PeerId : IEquatable<PeerId>
{
    public const int Length = 20;

    private readonly InfoHash _bytes;

    /// <summary>Takes exactly 20 raw bytes (as in an announce's <c>peer_id</c>).</summary>
    public PeerId(ReadOnlySpan<byte> bytes) => _bytes = bytes.Length == Length
        ? new InfoHash(bytes)
        : throw new ArgumentException($"A peer id is {Length} bytes, not {bytes.Length}.", nameof(bytes));

    public void CopyTo(Span<byte> destination) => _bytes.CopyTo(destination);

    public override string ToString() => _bytes.ToString();

    public bool Equals(PeerId other) => _bytes == other._bytes;

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => _bytes.GetHashCode();

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);
}
