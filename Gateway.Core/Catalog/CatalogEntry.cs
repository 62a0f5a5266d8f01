namespace Gateway.Core.Catalog;

/// <summary>A published file as the request path needs it, with the header values computed once at load.</summary>
public sealed class CatalogEntry
{
    public CatalogEntry(ManifestFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Path = file.Path;
        Size = file.Size;
        Sha256 = file.Sha256;
        ContentId = file.Content;
        Sha256Bytes = Convert.FromHexString(file.Sha256);
        ReprDigest = "sha-256=:" + Convert.ToBase64String(Sha256Bytes.Span) + ":";
        EscapedPath = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        if (file.Chunks is { } chunks)
        {
            ChunkSize = chunks.Size;
            var hashes = new byte[chunks.Sha256.Count * 32];
            for (var i = 0; i < chunks.Sha256.Count; i++)
            {
                Convert.FromHexString(chunks.Sha256[i], hashes.AsSpan(i * 32, 32), out _, out _);
            }

            ChunkHashes = hashes;
        }
    }

    /// <summary>Repository-relative path, no leading slash.</summary>
    public string Path { get; }

    public long Size { get; }

    /// <summary>Lowercase hex SHA-256.</summary>
    public string Sha256 { get; }

    /// <summary>The SHA-256 as 32 bytes.</summary>
    public ReadOnlyMemory<byte> Sha256Bytes { get; }

    public string ContentId { get; }

    /// <summary>The RFC 9530 <c>Repr-Digest</c> value for this file.</summary>
    public string ReprDigest { get; }

    /// <summary>Chunk length of <see cref="ChunkHashes"/>; 0 when the manifest has no chunk hashes for this file.</summary>
    public int ChunkSize { get; }

    /// <summary>The chunks' SHA-256 digests, 32 bytes each, in order; empty when the manifest has none.</summary>
    public ReadOnlyMemory<byte> ChunkHashes { get; }

    /// <summary>The path with each segment percent-encoded, ready to append to a volunteer's base URL.</summary>
    public string EscapedPath { get; }
}
