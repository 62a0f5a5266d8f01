using Gateway.Core.Catalog;

namespace Gateway.Core.Content;

/// <summary>How a file splits into verifiable chunks and each chunk's SHA-256 (a small file is one chunk: the whole file).</summary>
public readonly record struct ChunkLayout(long FileSize, int ChunkSize, ReadOnlyMemory<byte> Hashes)
{
    public const int HashLength = 32;

    public int Count => FileSize == 0 ? 0 : (int)((FileSize + ChunkSize - 1) / ChunkSize);

    public long Offset(int chunk) => (long)chunk * ChunkSize;

    public int Length(int chunk) => (int)Math.Min(ChunkSize, FileSize - Offset(chunk));

    public ReadOnlySpan<byte> Hash(int chunk) => Hashes.Span.Slice(chunk * HashLength, HashLength);

    /// <summary>The chunk holding byte <paramref name="offset"/>.</summary>
    public int ChunkOf(long offset) => (int)(offset / ChunkSize);

    /// <summary>The entry's chunk hashes, or the whole file as one chunk when it is at most <paramref name="maxWholeFile"/> bytes.</summary>
    public static bool TryCreate(CatalogEntry entry, int maxWholeFile, out ChunkLayout layout)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.ChunkSize > 0)
        {
            layout = new ChunkLayout(entry.Size, entry.ChunkSize, entry.ChunkHashes);
            return true;
        }

        if (entry.Size <= maxWholeFile)
        {
            layout = new ChunkLayout(entry.Size, (int)Math.Max(1, entry.Size), entry.Sha256Bytes);
            return true;
        }

        layout = default;
        return false;
    }
}
