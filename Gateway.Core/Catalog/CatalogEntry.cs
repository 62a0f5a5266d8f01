namespace Gateway.Core.Catalog;

/// <summary>
/// A published file as the request path needs it: a small view on one row of the packed catalog, whose header
/// strings are made on first use (a request uses two or three of them) and then kept. Shared between requests
/// (thread-safe: each kept string is one reference, and two threads making it at once make equal ones).
/// </summary>
public sealed class CatalogEntry
{
    private readonly CatalogTable _table;
    private readonly int _index;
    private string? _path;
    private string? _sha256;
    private string? _contentId;
    private string? _reprDigest;
    private string? _escapedPath;

    /// <summary>An entry of its own for one manifest file (tests and tools; the gateway takes entries from <see cref="RepositoryCatalog.Find"/>).</summary>
    public CatalogEntry(ManifestFile file)
        : this(RepositoryCatalog.Single(file), 0, file?.Path)
    {
    }

    internal CatalogEntry(CatalogTable table, int index, string? path)
    {
        _table = table;
        _index = index;
        _path = path;
    }

    /// <summary>The row of the packed catalog this entry views.</summary>
    internal int Index => _index;

    /// <summary>Repository-relative path, no leading slash.</summary>
    public string Path => _path ??= _table.PathOf(_index);

    public long Size => _table.Columns.Sizes[_index];

    /// <summary>Last write time (Unix ms) when publish hashed the file; 0 in the gateway's catalog, which does not keep it.</summary>
    public long Modified => _table.Columns.ModifiedOf(_index);

    /// <summary>Lowercase hex SHA-256.</summary>
    public string Sha256 => _sha256 ??= Convert.ToHexStringLower(Sha256Bytes.Span);

    /// <summary>The SHA-256 as 32 bytes.</summary>
    public ReadOnlyMemory<byte> Sha256Bytes => _table.DigestOf(_index);

    public string ContentId => _contentId ??= _table.ContentIdOf(_index);

    /// <summary>The RFC 9530 <c>Repr-Digest</c> value for this file.</summary>
    public string ReprDigest => _reprDigest ??= "sha-256=:" + Convert.ToBase64String(Sha256Bytes.Span) + ":";

    /// <summary>Chunk length of <see cref="ChunkHashes"/>; 0 when the manifest has no chunk hashes for this file.</summary>
    public int ChunkSize => ChunkList() is var k and >= 0 ? _table.Columns.ChunkSizes[k] : 0;

    /// <summary>The chunks' SHA-256 digests, 32 bytes each, in order; empty when the manifest has none.</summary>
    /// <remarks>
    /// Not kept: entries are shared between requests (<see cref="RepositoryCatalog.Find"/>), and a memory slice is a
    /// struct whose write another thread could see half done; the strings above are single references, written whole.
    /// </remarks>
    public ReadOnlyMemory<byte> ChunkHashes => _table.ChunkHashesOf(ChunkList());

    /// <summary>The path with each segment percent-encoded, ready to append to a volunteer's base URL.</summary>
    public string EscapedPath => _escapedPath ??= string.Join('/', Path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>The file as the manifest lists it.</summary>
    public ManifestFile ToManifestFile() => _table.ToManifestFile(_index);

    private int ChunkList() => Array.BinarySearch(_table.Columns.ChunkFiles, _index);
}
