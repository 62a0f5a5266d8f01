using System.Buffers;
using System.Security.Cryptography;

namespace Gateway.Core.Content;

/// <summary>What <see cref="ChunkVerifier.Advance"/> found.</summary>
public enum ChunkStatus
{
    /// <summary>The current chunk is not complete yet: read more into <see cref="ChunkVerifier.Free"/>.</summary>
    NeedMore,

    /// <summary>The current chunk is complete and its SHA-256 matches: <see cref="ChunkVerifier.Chunk"/> may be forwarded.</summary>
    Verified,

    /// <summary>The current chunk is complete and its SHA-256 does not match: none of it may be forwarded.</summary>
    Mismatch,
}

/// <summary>
/// Collects the bytes of chunks <c>first..last</c> of a file into a pooled chunk-sized buffer and checks each
/// chunk's SHA-256 when it is complete. The hash is fed as the bytes arrive (each read is hashed while it is still
/// in the cache the socket copy put it in), so completing a chunk costs only the final block. A caller reads straight into <see cref="Free"/> (no copy) and forwards
/// only <see cref="Chunk"/> after <see cref="ChunkStatus.Verified"/>. Two buffers alternate, so the caller may
/// still be writing one chunk to the customer while it reads the next (the write must finish before the next
/// <see cref="MoveNext"/> after that). After a failed source, <see cref="Restart"/>
/// drops the partial chunk and the next source resumes at <see cref="ResumeOffset"/>, a chunk boundary.
/// </summary>
public sealed class ChunkVerifier : IDisposable
{
    private readonly ChunkLayout _layout;
    private readonly int _last;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _lastHash = new byte[ChunkLayout.HashLength];
    private byte[]? _buffer;
    private byte[]? _spare;
    private int _filled;

    public ChunkVerifier(ChunkLayout layout, int first, int last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(last, layout.Count);
        _layout = layout;
        _last = last;
        Current = first;
        _buffer = ArrayPool<byte>.Shared.Rent(layout.Length(first));
    }

    /// <summary>The chunk being collected.</summary>
    public int Current { get; private set; }

    /// <summary>True once the last chunk was verified and moved past.</summary>
    public bool IsComplete => Current > _last;

    /// <summary>The file offset of the first byte not yet verified (where a new source must start).</summary>
    public long ResumeOffset => _layout.Offset(Current);

    /// <summary>The file offset just past the last chunk.</summary>
    public long EndOffset => _layout.Offset(_last) + _layout.Length(_last);

    /// <summary>The file offset of <see cref="Chunk"/>'s first byte.</summary>
    public long ChunkOffset => _layout.Offset(Current);

    /// <summary>Where the next bytes of the current chunk go (empty once complete).</summary>
    public Memory<byte> Free => IsComplete ? Memory<byte>.Empty : Buffer.AsMemory(_filled, _layout.Length(Current) - _filled);

    /// <summary>The current chunk's bytes; only meaningful after <see cref="ChunkStatus.Verified"/>.</summary>
    public ReadOnlyMemory<byte> Chunk => Buffer.AsMemory(0, _layout.Length(Current));

    /// <summary>The SHA-256 of the last completed chunk (what a source sent, for a report after a mismatch).</summary>
    public ReadOnlySpan<byte> LastHash => _lastHash;

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(ChunkVerifier));

    /// <summary>Records that <paramref name="count"/> bytes were written into <see cref="Free"/>; checks the chunk once it is complete.</summary>
    public ChunkStatus Advance(int count)
    {
        var length = _layout.Length(Current);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, length - _filled);
        _hash.AppendData(Buffer, _filled, count);
        _filled += count;
        if (_filled < length)
        {
            return ChunkStatus.NeedMore;
        }

        _hash.GetHashAndReset(_lastHash);
        return CryptographicOperations.FixedTimeEquals(_lastHash, _layout.Hash(Current)) ? ChunkStatus.Verified : ChunkStatus.Mismatch;
    }

    /// <summary>Moves past a verified (and forwarded) chunk.</summary>
    public void MoveNext()
    {
        Current++;
        _filled = 0;
        if (!IsComplete)
        {
            // Rented at the first move only (a single-chunk download needs one buffer). Both fit every later
            // chunk: only the file's last chunk is shorter than the one before it.
            (_buffer, _spare) = (_spare ?? ArrayPool<byte>.Shared.Rent(_layout.Length(Current)), Buffer);
        }
    }

    /// <summary>Drops the partial current chunk (its source failed); the next source starts at <see cref="ResumeOffset"/>.</summary>
    public void Restart()
    {
        if (_filled > 0)
        {
            // Drops what was hashed of the partial chunk.
            Span<byte> discarded = stackalloc byte[ChunkLayout.HashLength];
            _hash.GetHashAndReset(discarded);
        }

        _filled = 0;
    }

    public void Dispose()
    {
        _hash.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        if (_spare is not null)
        {
            ArrayPool<byte>.Shared.Return(_spare);
            _spare = null;
        }
    }
}
